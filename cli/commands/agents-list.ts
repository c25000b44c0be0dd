import type { CommonOptions } from '../command.ts';
import { defineCommand } from '../command.ts';
import { loadCommandConfig, printJson, serverOverrides, withClient } from '../command-support.ts';
import { formatTable } from '../format-table.ts';

interface AgentsListOptions extends CommonOptions {
  servers?: string;
  json?: boolean;
  stale?: boolean;
}

/** The fields of an agent that the list shows (as returned by the `listAgents` query). */
interface AgentRow {
  id?: unknown;
  name?: unknown;
  owner?: unknown;
  status?: unknown;
  tokenFingerprint?: unknown;
  lastHeartbeat?: unknown;
  createdAt?: unknown;
  /** What the agent reported in its last heartbeat with capabilities; null before the first. */
  capabilities?: { provider?: unknown; maxImageSize?: unknown; canTrain?: unknown } | null;
  /** Why the cluster paused the agent (set only while it is paused automatically). */
  pausedReason?: unknown;
}

/**
 * `teambooth agents list`: every registered agent, revoked ones included, with what it can run
 * (provider, largest image side, whether it trains); the reasons of paused agents follow the table.
 */
export const agentsListCommand = defineCommand<AgentsListOptions>({
  path: ['agents', 'list'],
  summary: 'list registered GPU agents',
  define(command) {
    command
      .option('--servers <list>', 'comma-separated host:port of the nodes')
      .option('--stale', 'read from any node without a linearizable read (works without a leader)')
      .option('--json', 'print {"agents": [...]}');
  },
  async execute(input) {
    const { options, ctx } = input;
    const loaded = loadCommandConfig(input, serverOverrides(options.servers));
    const result = await withClient(input, loaded, { admin: false }, (client) =>
      client.query({ type: 'listAgents' }, { stale: options.stale === true, signal: input.signal }),
    );
    const agents = agentsOf(result);
    if (options.json === true) {
      printJson(input, { agents });
      return 0;
    }
    if (agents.length === 0) {
      ctx.stdout.write('No agents yet. Register one with: teambooth agents token create --name NAME\n');
      return 0;
    }
    const rows = agents.map((agent) => [
      text(agent.id),
      text(agent.name),
      text(agent.owner),
      text(agent.status),
      text(agent.capabilities?.provider),
      maxSize(agent.capabilities?.maxImageSize),
      trains(agent.capabilities?.canTrain),
      text(agent.tokenFingerprint),
      time(agent.lastHeartbeat),
      time(agent.createdAt),
    ]);
    ctx.stdout.write(formatTable(['ID', 'NAME', 'OWNER', 'STATUS', 'PROVIDER', 'MAX SIZE', 'TRAIN', 'TOKEN', 'LAST HEARTBEAT', 'CREATED'], rows));
    ctx.stdout.write(pausedReasons(agents));
    return 0;
  },
});

function agentsOf(result: unknown): AgentRow[] {
  const list = typeof result === 'object' && result !== null && !Array.isArray(result) && 'agents' in result ? result.agents : result;
  if (!Array.isArray(list)) throw new Error(`the cluster answered listAgents with ${JSON.stringify(result)}, which is not a list of agents`);
  return list.filter((item): item is AgentRow => typeof item === 'object' && item !== null);
}

/** Under the table, why each paused agent was paused, since a paused agent takes no jobs. */
function pausedReasons(agents: readonly AgentRow[]): string {
  const paused = agents.filter((agent) => agent.status === 'paused');
  if (paused.length === 0) return '';
  const lines = paused.map((agent) => {
    const reason = agent.pausedReason === null || agent.pausedReason === undefined ? 'paused by an admin' : String(agent.pausedReason);
    return `  ${text(agent.id)} (${text(agent.name)}): ${reason}`;
  });
  return `\nPaused agents take no jobs:\n${lines.join('\n')}\n`;
}

function maxSize(value: unknown): string {
  return typeof value === 'number' ? `${value}px` : '-';
}

function trains(value: unknown): string {
  return typeof value === 'boolean' ? (value ? 'yes' : 'no') : '-';
}

function text(value: unknown): string {
  return value === undefined || value === null || value === '' ? '-' : String(value);
}

function time(value: unknown): string {
  return typeof value === 'number' && value > 0 ? new Date(value).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}
