import type { CommonOptions } from '../command.ts';
import { defineCommand } from '../command.ts';
import { loadCommandConfig, printJson, serverOverrides, withClient } from '../command-support.ts';
import { checkNodeIdFlag, describeMembership } from '../membership-support.ts';

interface RemoveNodeOptions extends CommonOptions {
  id: string;
  servers?: string;
  json?: boolean;
}

/** `teambooth cluster remove-node`: removes a member from the cluster. */
export const clusterRemoveNodeCommand = defineCommand<RemoveNodeOptions>({
  path: ['cluster', 'remove-node'],
  summary: 'remove a node from the cluster',
  define(command) {
    command
      .requiredOption('--id <id>', 'id of the node to remove')
      .option('--servers <list>', 'comma-separated host:port of the nodes')
      .option('--json', 'print the new membership as JSON');
  },
  async execute(input) {
    const { options, ctx } = input;
    const id = checkNodeIdFlag(options.id);
    const loaded = loadCommandConfig(input, serverOverrides(options.servers));
    const conf = await withClient(input, loaded, { admin: true }, (client) => client.removeNode(id, input.signal));
    if (options.json === true) {
      printJson(input, conf);
      return 0;
    }
    ctx.stdout.write(`Removed ${id}.\n${describeMembership(conf)}You can now stop ${id} and delete its data dir.\n`);
    return 0;
  },
});
