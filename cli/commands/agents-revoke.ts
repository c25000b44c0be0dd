import type { CommonOptions } from '../command.ts';
import { defineCommand } from '../command.ts';
import { loadCommandConfig, printJson, serverOverrides, withClient } from '../command-support.ts';

interface AgentsRevokeOptions extends CommonOptions {
  servers?: string;
  json?: boolean;
}

/** `teambooth agents revoke ID`: revokes an agent; its token stops working and its leased jobs go back to the queue. */
export const agentsRevokeCommand = defineCommand<AgentsRevokeOptions>({
  path: ['agents', 'revoke'],
  summary: 'revoke a GPU agent (its token stops working)',
  define(command) {
    command
      .argument('<agent-id>', 'the agent id, as shown by `teambooth agents list`')
      .option('--servers <list>', 'comma-separated host:port of the nodes')
      .option('--json', 'print the revoked agent as JSON');
  },
  async execute(input) {
    const agentId = input.args[0] ?? '';
    const loaded = loadCommandConfig(input, serverOverrides(input.options.servers));
    const result = await withClient(input, loaded, { admin: true }, (client) => client.propose({ type: 'revokeAgent', agentId }, input.signal));
    if (input.options.json === true) {
      printJson(input, result);
    } else {
      input.ctx.stdout.write(`Revoked agent ${agentId}; its token no longer works.\n`);
    }
    return 0;
  },
});
