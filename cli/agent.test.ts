import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as later } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleValue, scrape } from '../cluster/metrics/testing/scrape.ts';
import { agentCommand } from './commands/agent.ts';
import { FakeCliContext } from './fake-cli-context.ts';
import { runCli } from './run-cli.ts';

const TOKEN = 'tbat_secret-token-for-the-cli-test-0123';

describe('teambooth agent: flags', () => {
  it('without a token, says how to create one (usage error, nothing started)', async () => {
    const ctx = new FakeCliContext();
    expect(await runCli(['agent', '--servers', '127.0.0.1:7001'], ctx, [agentCommand])).toBe(2);
    expect(ctx.err).toBe(
      'error: an agent token is needed: create one with `teambooth agents token create --name NAME` (where the admin token is), then run the agent with TEAMBOOTH_AGENT_TOKEN=<token> in its environment\n(add --help for usage)\n',
    );
    expect(ctx.clientOptions).toEqual([]);
  });

  it('takes the token from TEAMBOOTH_AGENT_TOKEN and names a bad flag without echoing the token', async () => {
    const ctx = new FakeCliContext();
    ctx.env = { TEAMBOOTH_AGENT_TOKEN: TOKEN };
    expect(await runCli(['agent', '--max-jobs', '0'], ctx, [agentCommand])).toBe(2);
    expect(ctx.err).toContain('error: --max-jobs must be an integer from 1 to 16 (got "0")');
    expect(await runCli(['agent', '--max-image-size', 'big'], ctx, [agentCommand])).toBe(2);
    expect(ctx.err).toContain('error: --max-image-size must be an integer from 8 to 2048 (got "big")');
    expect(await runCli(['agent', '--device', 'tpu'], ctx, [agentCommand])).toBe(2);
    expect(ctx.err).not.toContain(TOKEN);
    // The variable is not a config key, yet loading the config accepts it: only the bad flag is named.
    ctx.err = '';
    expect(await runCli(['agent', '--servers', 'localhost'], ctx, [agentCommand])).toBe(2);
    expect(ctx.err).toBe('config error: client.servers[0] (from --servers="localhost") must be host:port, e.g. 127.0.0.1:7001 (got "localhost")\n');
    expect(ctx.clientOptions).toEqual([]);
  });

  it('lists its flags in --help', async () => {
    const ctx = new FakeCliContext();
    expect(await runCli(['agent', '--help'], ctx, [agentCommand])).toBe(0);
    for (const flag of ['--servers', '--token', '--device', '--cache-dir', '--max-jobs', '--name', '--max-image-size', '--no-train', '--metrics-listen']) expect(ctx.out).toContain(flag);
  });

  it('refuses a malformed --metrics-listen before starting anything', async () => {
    const ctx = new FakeCliContext();
    ctx.env = { TEAMBOOTH_AGENT_TOKEN: TOKEN };
    expect(await runCli(['agent', '--metrics-listen', '9464'], ctx, [agentCommand])).toBe(2);
    expect(ctx.err).toBe('error: --metrics-listen must be host:port, e.g. 127.0.0.1:7001 (got "9464")\n(add --help for usage)\n');
    expect(ctx.clientOptions).toEqual([]);
  });
});

describe('teambooth agent: running', () => {
  // One working directory for these tests, so the tiny model is built once (--cache-dir).
  let cwd = '';
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'teambooth-agent-cli-'));
  });
  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  /** A context whose cluster answers heartbeats with `status` and claims after 20 ms with no job (or never, with `hang`). */
  function agentContext(status: string, claims: 'empty' | 'hang' = 'empty') {
    const ctx = new FakeCliContext(cwd);
    ctx.env = { TEAMBOOTH_AGENT_TOKEN: TOKEN };
    let claimed = (): void => undefined;
    const firstClaim = new Promise<void>((resolve) => (claimed = resolve));
    ctx.answers.jobs = (method) => {
      if (method === 'AgentHeartbeat') return later(10, { agent: JSON.stringify({ id: 'a-9', name: 'box', status, pausedReason: null }) });
      claimed();
      return claims === 'hang' ? new Promise(() => undefined) : later(20, { job: '' });
    };
    const run = (...flags: string[]): Promise<number> =>
      runCli(['agent', '--servers', '127.0.0.1:7001', '--cache-dir', 'cache', '--device', 'cpu', '--no-train', ...flags], ctx, [agentCommand]);
    return { ctx, firstClaim, run };
  }

  it('exits 1 with the reason when the cluster says the agent is revoked; the token goes to the client only', async () => {
    const { ctx, run } = agentContext('revoked');
    expect(await run()).toBe(1);
    expect(ctx.err).toBe('error: agent a-9 ("box") has been revoked; create a new token with `teambooth agents token create --name NAME` to run an agent here again\n');
    expect(ctx.clientOptions).toMatchObject([{ servers: ['127.0.0.1:7001'], agentToken: TOKEN }]);
    expect(ctx.clientOptions[0]?.adminToken).toBeUndefined();
    const [method, request] = ctx.calls[0]?.args ?? [];
    expect(method).toBe('AgentHeartbeat');
    expect(JSON.parse((request as { capabilities: string }).capabilities)).toMatchObject({ provider: 'cpu', maxImageSize: 512, canTrain: false });
    expect(ctx.closedClients).toBe(1);
  });

  it('stops on the first signal and exits 0', async () => {
    const { ctx, firstClaim, run } = agentContext('active');
    const status = run();
    await firstClaim;
    expect(ctx.raise('SIGTERM')).toBeGreaterThan(0);
    expect(await status).toBe(0);
    expect(ctx.calls.find((call) => call.args[0] === 'Claim')?.args[1]).toMatchObject({ kinds: ['imagine'] });
    expect(ctx.closedClients).toBe(1);
  });

  it('serves its metrics at --metrics-listen until it exits', async () => {
    const { ctx, firstClaim, run } = agentContext('active');
    const lines: string[] = [];
    ctx.logDestination = { write: (text: string) => void lines.push(text) };
    const status = run('--metrics-listen', '127.0.0.1:0');
    await firstClaim;
    const url = lines.map((line) => JSON.parse(line) as { msg: string; metrics?: string }).find((line) => line.msg === 'serving metrics')?.metrics;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const text = await scrape(url!);
    expect(sampleValue(text, 'teambooth_agent_busy')).toBe(0);
    expect(sampleValue(text, 'teambooth_agent_models_loaded')).toBe(1);
    ctx.raise('SIGTERM');
    expect(await status).toBe(0);
    await expect(fetch(url!)).rejects.toThrow();
  });

  it('exits at once with 130 on a second signal while the first one is still stopping', async () => {
    const { ctx, firstClaim, run } = agentContext('active', 'hang');
    const status = run();
    await firstClaim;
    ctx.raise('SIGTERM');
    ctx.raise('SIGINT');
    expect(await status).toBe(130);
  });
});
