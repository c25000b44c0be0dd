import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { agentTokenHash, registerAgent } from '../cluster/jobs/agent-token.ts';
import type { AgentView } from '../cluster/state/types.ts';
import type { ClusterClientApi, CliContext } from './context.ts';
import { waitUntilListening, type ChildExit, type LocalNodeSpec, type LocalStack } from './local-stack.ts';

/** Where `teambooth up` keeps the local agent's token between runs (mode 0600, like the admin token). */
export const LOCAL_AGENT_TOKEN_FILE = join('.teambooth', 'agent-token');

/**
 * Starts the local stack's helpers: one CPU agent serving metrics on `agentMetricsPort` (unless
 * null; registered once, its token kept in {@link LOCAL_AGENT_TOKEN_FILE} and passed through the
 * environment), the web playground on
 * `webPort` (unless null), and the Discord and Slack bots when their credentials are in the
 * environment. They stop with the nodes. Returns one line per helper started (or why one was
 * not), as the summary lists them.
 */
export async function startLocalHelpers(
  deps: { ctx: CliContext; client: ClusterClientApi; stack: LocalStack; specs: readonly LocalNodeSpec[]; onExit: (exit: ChildExit) => void; signal: AbortSignal },
  options: { agentMetricsPort: number | null; webPort: number | null },
): Promise<string[]> {
  const { ctx, stack, onExit } = deps;
  const servers = deps.specs.map((spec) => spec.address).join(',');
  const lines: string[] = [];
  // The playground first: it takes a few seconds to start listening, while the agent is registered.
  let webListening: Promise<unknown> = Promise.resolve();
  if (options.webPort !== null) {
    const spec = { id: 'web', logFile: join('.teambooth', 'logs', 'web.log') };
    let exited = false;
    stack.startProcess(spec, ['bot', 'web', '--servers', servers, '--port', String(options.webPort)], {}, (exit) => {
      exited = true;
      onExit(exit);
    });
    webListening = waitUntilListening(ctx, { host: '127.0.0.1', port: options.webPort }, () => exited, deps.signal);
    lines.push(`Playground: http://127.0.0.1:${options.webPort}/ (a chat channel and the cluster's dashboard; log ${spec.logFile})`);
  } else {
    lines.push('Playground: none (--no-web); start it with `teambooth bot web`');
  }
  if (options.agentMetricsPort !== null) {
    const { token, agent } = await localAgentToken(deps.ctx, deps.client, deps.signal);
    const spec = { id: 'agent', logFile: join('.teambooth', 'logs', 'agent.log') };
    const metrics = `127.0.0.1:${options.agentMetricsPort}`;
    stack.startProcess(spec, ['agent', '--servers', servers, '--cache-dir', join('.teambooth', 'agent-cache'), '--device', 'cpu', '--name', agent.name, '--metrics-listen', metrics], { TEAMBOOTH_AGENT_TOKEN: token }, onExit);
    lines.push(`Agent: ${agent.name} (${agent.id}), the tiny model on the CPU; metrics http://${metrics}/metrics; log ${spec.logFile}`);
  } else {
    lines.push('Agent: none (--no-agent); start one with `teambooth agent`');
  }
  const bots: string[] = [];
  if (nonEmpty(ctx.env['TEAMBOOTH_DISCORD_TOKEN'])) {
    stack.startProcess({ id: 'discord-bot', logFile: join('.teambooth', 'logs', 'discord-bot.log') }, ['bot', 'discord', '--servers', servers], {}, onExit);
    bots.push('discord');
  }
  if (nonEmpty(ctx.env['TEAMBOOTH_SLACK_BOT_TOKEN']) && nonEmpty(ctx.env['TEAMBOOTH_SLACK_SIGNING_SECRET'])) {
    const socket = nonEmpty(ctx.env['TEAMBOOTH_SLACK_APP_TOKEN']) ? ['--socket'] : [];
    stack.startProcess({ id: 'slack-bot', logFile: join('.teambooth', 'logs', 'slack-bot.log') }, ['bot', 'slack', '--servers', servers, ...socket], {}, onExit);
    bots.push('slack');
  }
  await webListening;
  lines.push(bots.length === 0 ? 'Bots: none (set TEAMBOOTH_DISCORD_TOKEN or TEAMBOOTH_SLACK_BOT_TOKEN to start them; see the README)' : `Bots: ${bots.join(', ')} (logs in .teambooth/logs/)`);
  return lines;
}

/** The local agent's token: the stored one while the cluster still knows it, else a newly registered agent's. */
async function localAgentToken(ctx: CliContext, client: ClusterClientApi, signal: AbortSignal): Promise<{ token: string; agent: AgentView }> {
  const file = join(ctx.cwd, LOCAL_AGENT_TOKEN_FILE);
  const stored = await readFile(file, 'utf8').then(
    (text) => text.trim(),
    () => '',
  );
  if (stored !== '') {
    const agent = (await client.query({ type: 'findAgentByTokenHash', tokenHash: agentTokenHash(stored) }, { stale: true, signal })) as AgentView | null;
    if (agent !== null) return { token: stored, agent };
  }
  const name = `local-cpu-${ctx.randomBytes(2).toString('hex')}`;
  const { result, token } = await registerAgent(client, { name, owner: 'teambooth up' }, { randomBytes: (size) => ctx.randomBytes(size), signal });
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${token}\n`, { mode: 0o600, signal });
  return { token, agent: result as AgentView };
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== '';
}
