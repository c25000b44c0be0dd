import type { CommonOptions } from '../command.ts';
import { defineCommand } from '../command.ts';
import { loadCommandConfig, serverOverrides, withClient } from '../command-support.ts';
import { checkNodeIdFlag } from '../membership-support.ts';

interface TransferLeaderOptions extends CommonOptions {
  id: string;
  servers?: string;
}

/** `teambooth cluster transfer-leader`: hands leadership to another voter (e.g. before maintenance of the leader). */
export const clusterTransferLeaderCommand = defineCommand<TransferLeaderOptions>({
  path: ['cluster', 'transfer-leader'],
  summary: 'make another voter the leader',
  define(command) {
    command.requiredOption('--id <id>', 'id of the voter that should lead').option('--servers <list>', 'comma-separated host:port of the nodes');
  },
  async execute(input) {
    const id = checkNodeIdFlag(input.options.id);
    const loaded = loadCommandConfig(input, serverOverrides(input.options.servers));
    await withClient(input, loaded, { admin: true }, (client) => client.transferLeadership(id, input.signal));
    input.ctx.stdout.write(`Leadership transferred to ${id}.\n`);
    return 0;
  },
});
