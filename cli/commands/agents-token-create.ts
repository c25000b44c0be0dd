import { registerAgent } from '../../cluster/jobs/agent-token.ts';
import type { CommonOptions } from '../command.ts';
import { defineCommand } from '../command.ts';
import { loadCommandConfig, printJson, serverOverrides, withClient } from '../command-support.ts';
import { UsageError } from '../usage-error.ts';

interface TokenCreateOptions extends CommonOptions {
  name: string;
  owner?: string;
  servers?: string;
  json?: boolean;
}

/**
 * `teambooth agents token create`: generates an agent token here, registers only its hash through
 * the log, and prints the agent id and the token once.
 */
export const agentsTokenCreateCommand = defineCommand<TokenCreateOptions>({
  path: ['agents', 'token', 'create'],
  summary: 'register a new GPU agent and print its token (shown once)',
  define(command) {
    command
      .requiredOption('--name <name>', 'agent name, unique among active agents (e.g. gpu-box)')
      .option('--owner <owner>', 'who runs the agent (default: $USER)')
      .option('--servers <list>', 'comma-separated host:port of the nodes')
      .option('--json', 'print {"agentId", "token"}');
  },
  async execute(input) {
    const { options, ctx } = input;
    const name = options.name.trim();
    if (name === '' || name.length > 64 || /[\u0000-\u001f\u007f]/.test(name)) {
      throw new UsageError(`--name must be 1 to 64 printable characters (got ${JSON.stringify(options.name)})`);
    }
    const owner = (options.owner ?? ctx.env['USER'] ?? ctx.env['USERNAME'] ?? 'admin').trim();
    if (owner === '') throw new UsageError('--owner must not be empty');
    const loaded = loadCommandConfig(input, serverOverrides(options.servers));

    const { result, token } = await withClient(input, loaded, { admin: true }, (client) =>
      registerAgent(client, { name, owner }, { randomBytes: (size) => ctx.randomBytes(size), signal: input.signal }),
    );
    const agentId = agentIdOf(result);

    if (options.json === true) {
      printJson(input, { agentId, token });
    } else {
      ctx.stdout.write(
        `Registered agent ${agentId} ("${name}", owner ${owner}).\n` +
          `Its token is shown only this once; hand it to the agent's operator and keep it secret:\n\n` +
          `  ${token}\n\n` +
          `Anyone holding it can act as this agent. Revoke it with: teambooth agents revoke ${agentId}\n`,
      );
    }
    return 0;
  },
});

/** The agent id in a createAgent result (the agent's view `{ id, ... }`, or `{ agentId }`). */
function agentIdOf(result: unknown): string {
  const value = typeof result === 'object' && result !== null && 'ok' in result && 'value' in result ? result.value : result;
  if (typeof value === 'object' && value !== null) {
    if ('id' in value && typeof value.id === 'string') return value.id;
    if ('agentId' in value && typeof value.agentId === 'string') return value.agentId;
  }
  throw new Error(`the cluster answered createAgent with ${JSON.stringify(result)}, which has no agent id`);
}
