import type { CommonOptions } from '../command.ts';
import { defineCommand } from '../command.ts';
import { loadCommandConfig, printJson, serverOverrides, withClient } from '../command-support.ts';
import { checkAddressFlag, checkNodeIdFlag, describeMembership, peersFlag } from '../membership-support.ts';

interface AddNodeOptions extends CommonOptions {
  id: string;
  address: string;
  servers?: string;
  json?: boolean;
}

/** `teambooth cluster add-node`: adds a member (as a learner that catches up before it votes). */
export const clusterAddNodeCommand = defineCommand<AddNodeOptions>({
  path: ['cluster', 'add-node'],
  summary: 'add a node to the cluster (it joins as a learner and is promoted once caught up)',
  define(command) {
    command
      .requiredOption('--id <id>', 'id of the new node (e.g. n4)')
      .requiredOption('--address <host:port>', 'address the other nodes reach it at')
      .option('--servers <list>', 'comma-separated host:port of the current nodes')
      .option('--json', 'print the new membership as JSON');
  },
  async execute(input) {
    const { options, ctx } = input;
    const id = checkNodeIdFlag(options.id);
    const address = checkAddressFlag(options.address);
    const loaded = loadCommandConfig(input, serverOverrides(options.servers));
    const { conf, clusterId } = await withClient(input, loaded, { admin: true }, async (client) => {
      const changed = await client.addNode(id, address, input.signal);
      // The new node needs the cluster id to join; any node can tell it.
      const statuses = await client.statusAll(input.signal).catch(() => []);
      return { conf: changed, clusterId: statuses.find((result) => result.status?.clusterId)?.status?.clusterId ?? '' };
    });
    if (options.json === true) {
      printJson(input, conf);
      return 0;
    }
    const cluster = clusterId === '' ? '<cluster id from `teambooth status --json`>' : clusterId;
    ctx.stdout.write(
      `Added ${id} at ${address}.\n${describeMembership(conf)}` +
        `If it is not running yet, start it with:\n  teambooth node --id ${id} --listen ${address} --peers ${peersFlag(conf)} --cluster-id ${cluster} --join\n`,
    );
    return 0;
  },
});
