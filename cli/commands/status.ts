import type { NodeStatus } from '../../cluster/server/backend.ts';
import type { CommonOptions } from '../command.ts';
import { defineCommand } from '../command.ts';
import { loadCommandConfig, printJson, serverOverrides, withClient } from '../command-support.ts';
import { formatTable } from '../format-table.ts';

interface StatusOptions extends CommonOptions {
  servers?: string;
  json?: boolean;
}

/** One reachable node in `teambooth status --json`. */
export interface StatusNodeView {
  id: string;
  role: string;
  term: number;
  commitIndex: number;
  appliedIndex: number;
  leaderId: string;
  address: string;
  clusterId: string;
}

/** The object printed by `teambooth status --json`. */
export interface StatusView {
  nodes: StatusNodeView[];
  unreachable: Array<{ server: string; error: string }>;
  /** Current model version id, or null when none has been imported yet. */
  modelVersion: string | null;
}

/** `teambooth status`: role, term, commit and applied index and leader of every node, and the current model version. */
export const statusCommand = defineCommand<StatusOptions>({
  path: ['status'],
  summary: 'show every node (role, term, commit index, applied index, leader) and the current model version',
  define(command) {
    command
      .option('--servers <list>', 'comma-separated host:port of the nodes (default: 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003)')
      .option('--json', 'print one JSON object: { nodes, unreachable, modelVersion }');
  },
  async execute(input) {
    const loaded = loadCommandConfig(input, serverOverrides(input.options.servers));
    const results = await withClient(input, loaded, { admin: false }, (client) => client.statusAll(input.signal));
    const view = toStatusView(results);
    if (input.options.json === true) {
      printJson(input, view);
    } else {
      input.ctx.stdout.write(renderStatus(view));
    }
    if (view.nodes.length === 0) {
      input.ctx.stderr.write(
        `error: no node answered at ${loaded.config.client.servers.join(', ')}: is the cluster running? Start one with \`teambooth up\`, or pass --servers\n`,
      );
      return 1;
    }
    return 0;
  },
});

/** Builds the status view from the client's per-server answers (nodes sorted by id). */
export function toStatusView(results: ReadonlyArray<{ server: string; status?: NodeStatus; error?: string }>): StatusView {
  const nodes: StatusNodeView[] = [];
  const unreachable: StatusView['unreachable'] = [];
  let modelVersion: string | null = null;
  let fromLeader = false;
  for (const result of results) {
    const status = result.status;
    if (status === undefined) {
      unreachable.push({ server: result.server, error: result.error ?? 'no answer' });
      continue;
    }
    nodes.push({
      id: status.id,
      role: status.role,
      term: status.term,
      commitIndex: status.commitIndex,
      appliedIndex: status.appliedIndex,
      leaderId: status.leaderId,
      address: status.address === '' ? result.server : status.address,
      clusterId: status.clusterId,
    });
    // The leader's view of the model is the freshest; otherwise take any node's.
    const isLeader = status.role === 'leader';
    if (status.modelVersion !== '' && (isLeader || (!fromLeader && modelVersion === null))) {
      modelVersion = status.modelVersion;
      fromLeader = isLeader;
    }
  }
  nodes.sort((a, b) => a.id.localeCompare(b.id));
  return { nodes, unreachable, modelVersion };
}

function renderStatus(view: StatusView): string {
  const rows = view.nodes.map((node) => [
    node.id,
    node.address,
    node.role,
    String(node.term),
    String(node.commitIndex),
    String(node.appliedIndex),
    node.leaderId === '' ? '-' : node.leaderId,
  ]);
  for (const down of view.unreachable) rows.push(['?', down.server, 'unreachable', '-', '-', '-', '-']);
  let text = formatTable(['ID', 'ADDRESS', 'ROLE', 'TERM', 'COMMIT', 'APPLIED', 'LEADER'], rows);
  for (const down of view.unreachable) text += `${down.server}: ${down.error}\n`;
  const clusterIds = [...new Set(view.nodes.map((node) => node.clusterId).filter((id) => id !== ''))];
  if (clusterIds.length > 1) {
    text += `warning: these nodes belong to different clusters (${clusterIds.join(', ')}); check --servers and each node's data dir\n`;
  }
  const leaders = new Set(view.nodes.filter((node) => node.role === 'leader').map((node) => node.id));
  if (view.nodes.length > 0 && leaders.size === 0) text += 'no leader yet (an election may be in progress, or a majority is down)\n';
  text += `model version: ${view.modelVersion ?? 'none yet'}\n`;
  return text;
}
