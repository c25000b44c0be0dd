import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeCliContext, nodeStatus } from './fake-cli-context.ts';
import { runCli } from './run-cli.ts';

const ADMIN = 'admin-token-for-cli-tests-0123456789';

let dir = '';
let ctx: FakeCliContext;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'teambooth-cli-'));
  ctx = new FakeCliContext(dir);
  ctx.env = { TEAMBOOTH_ADMIN_TOKEN: ADMIN };
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const threeNodes = () => [
  { server: '127.0.0.1:7001', status: nodeStatus({ id: 'n1', address: '127.0.0.1:7001', role: 'leader', term: 3, commitIndex: 12, appliedIndex: 12, leaderId: 'n1', modelVersion: 'v2' }) },
  { server: '127.0.0.1:7002', status: nodeStatus({ id: 'n2', address: '127.0.0.1:7002', role: 'follower', term: 3, commitIndex: 12, appliedIndex: 11, leaderId: 'n1', modelVersion: 'v1' }) },
  { server: '127.0.0.1:7003', error: 'connect ECONNREFUSED 127.0.0.1:7003' },
];

describe('teambooth status', () => {
  it('prints a table per node, the unreachable ones, and the model version of the leader', async () => {
    ctx.answers.statusAll = threeNodes;
    expect(await runCli(['status'], ctx)).toBe(0);
    const lines = ctx.out.split('\n');
    expect(lines[0]).toMatch(/^ID\s+ADDRESS\s+ROLE\s+TERM\s+COMMIT\s+APPLIED\s+LEADER$/);
    expect(lines[1]).toMatch(/^n1\s+127\.0\.0\.1:7001\s+leader\s+3\s+12\s+12\s+n1$/);
    expect(lines[2]).toMatch(/^n2\s+127\.0\.0\.1:7002\s+follower\s+3\s+12\s+11\s+n1$/);
    expect(lines[3]).toMatch(/^\?\s+127\.0\.0\.1:7003\s+unreachable/);
    expect(ctx.out).toContain('127.0.0.1:7003: connect ECONNREFUSED 127.0.0.1:7003');
    expect(ctx.out).toContain('model version: v2\n');
    expect(ctx.closedClients).toBe(1);
  });

  it('prints one JSON object with --json', async () => {
    ctx.answers.statusAll = threeNodes;
    expect(await runCli(['status', '--json', '--servers', '127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003'], ctx)).toBe(0);
    const view = JSON.parse(ctx.out);
    expect(view).toEqual({
      nodes: [
        { id: 'n1', role: 'leader', term: 3, commitIndex: 12, appliedIndex: 12, leaderId: 'n1', address: '127.0.0.1:7001', clusterId: 'c-test' },
        { id: 'n2', role: 'follower', term: 3, commitIndex: 12, appliedIndex: 11, leaderId: 'n1', address: '127.0.0.1:7002', clusterId: 'c-test' },
      ],
      unreachable: [{ server: '127.0.0.1:7003', error: 'connect ECONNREFUSED 127.0.0.1:7003' }],
      modelVersion: 'v2',
    });
  });

  it('asks the servers given by --servers, else TEAMBOOTH_CLIENT_SERVERS, else the local defaults; without the admin token', async () => {
    await runCli(['status', '--servers', '10.0.0.1:7001,10.0.0.2:7001'], ctx);
    ctx.env['TEAMBOOTH_CLIENT_SERVERS'] = '10.0.0.9:7001';
    await runCli(['status'], ctx);
    delete ctx.env['TEAMBOOTH_CLIENT_SERVERS'];
    await runCli(['status'], ctx);
    expect(ctx.clientOptions.map((options) => options.servers)).toEqual([
      ['10.0.0.1:7001', '10.0.0.2:7001'],
      ['10.0.0.9:7001'],
      ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003'],
    ]);
    expect(ctx.clientOptions.every((options) => options.adminToken === undefined)).toBe(true);
  });

  it('fails with a hint when no node answers', async () => {
    ctx.answers.statusAll = () => [{ server: '127.0.0.1:7001', error: 'connect ECONNREFUSED' }];
    expect(await runCli(['status', '--servers', '127.0.0.1:7001', '--json'], ctx)).toBe(1);
    expect(JSON.parse(ctx.out)).toMatchObject({ nodes: [], modelVersion: null });
    expect(ctx.err).toContain('error: no node answered at 127.0.0.1:7001: is the cluster running? Start one with `teambooth up`');
  });

  it('refuses a bad --servers value as a usage error naming the flag', async () => {
    expect(await runCli(['status', '--servers', 'localhost'], ctx)).toBe(2);
    expect(ctx.err).toBe('config error: client.servers[0] (from --servers="localhost") must be host:port, e.g. 127.0.0.1:7001 (got "localhost")\n');
    expect(ctx.clientOptions).toHaveLength(0);
  });
});

describe('teambooth agents', () => {
  it('token create generates a tbat_ token, proposes only its sha-256, and prints {agentId, token}', async () => {
    ctx.answers.propose = () => ({ id: 'a-1f2e3d4c', name: 'gpu-box' });
    expect(await runCli(['agents', 'token', 'create', '--name', 'gpu-box', '--owner', 'alice', '--json'], ctx)).toBe(0);
    const printed = JSON.parse(ctx.out) as { agentId: string; token: string };
    expect(printed.agentId).toBe('a-1f2e3d4c');
    expect(printed.token).toMatch(/^tbat_[A-Za-z0-9_-]{43}$/);
    const [call] = ctx.calls;
    expect(call).toEqual({
      method: 'propose',
      args: [{ type: 'createAgent', name: 'gpu-box', owner: 'alice', tokenHash: createHash('sha256').update(printed.token).digest('hex') }],
    });
    expect(JSON.stringify(call)).not.toContain(printed.token);
    expect(ctx.clientOptions[0]?.adminToken).toBe(ADMIN);
  });

  it('token create prints the token once in text mode, with how to revoke it', async () => {
    ctx.answers.propose = () => ({ id: 'a-00000001' });
    ctx.env['USER'] = 'bob';
    expect(await runCli(['agents', 'token', 'create', '--name', 'box'], ctx)).toBe(0);
    const token = /tbat_[A-Za-z0-9_-]+/.exec(ctx.out)?.[0] ?? '';
    expect(ctx.out.split(token)).toHaveLength(2);
    expect(ctx.out).toContain('Registered agent a-00000001 ("box", owner bob)');
    expect(ctx.out).toContain('teambooth agents revoke a-00000001');
  });

  it('token create uses the local admin token file when TEAMBOOTH_ADMIN_TOKEN is not set', async () => {
    const { resolveAdminToken } = await import('../config/admin-token.ts');
    const local = await resolveAdminToken({}, dir);
    ctx.env = {};
    ctx.answers.propose = () => ({ id: 'a-1' });
    await runCli(['agents', 'token', 'create', '--name', 'box', '--json'], ctx);
    expect(ctx.clientOptions[0]?.adminToken).toBe(local);
  });

  it('token create needs --name (usage error, nothing sent)', async () => {
    expect(await runCli(['agents', 'token', 'create'], ctx)).toBe(2);
    expect(ctx.err).toContain("required option '--name <name>' not specified");
    expect(await runCli(['agents', 'token', 'create', '--name', '   '], ctx)).toBe(2);
    expect(ctx.err).toContain('--name must be 1 to 64 printable characters');
    expect(ctx.calls).toHaveLength(0);
  });

  it('shows the cluster refusal as one error line (no stack) and exits 1', async () => {
    ctx.answers.propose = () => {
      throw new Error('an agent named "box" already exists (a-1); choose another --name or revoke it first');
    };
    expect(await runCli(['agents', 'token', 'create', '--name', 'box'], ctx)).toBe(1);
    expect(ctx.err).toBe('error: an agent named "box" already exists (a-1); choose another --name or revoke it first\n');
    expect(ctx.out).toBe('');
    ctx.err = '';
    ctx.env['TEAMBOOTH_DEBUG'] = '1';
    expect(await runCli(['agents', 'token', 'create', '--name', 'box'], ctx)).toBe(1);
    expect(ctx.err).toMatch(/\n\s+at /);
  });

  it('list prints a table with capabilities and why agents are paused (or {agents} with --json) from the listAgents query', async () => {
    const capabilities = { provider: 'cuda', memoryMb: 24_000, maxImageSize: 1024, canTrain: true };
    const agents = [
      { id: 'a-1', name: 'gpu-box', owner: 'alice', status: 'active', capabilities, tokenFingerprint: 'ab12cd34', lastHeartbeat: 0, createdAt: Date.UTC(2025, 0, 2, 3, 4, 5), pausedReason: null },
      { id: 'a-2', name: 'old', owner: 'bob', status: 'revoked', capabilities: null, tokenFingerprint: 'ffee0011', lastHeartbeat: 0, createdAt: Date.UTC(2025, 0, 1), pausedReason: null },
      {
        id: 'a-3',
        name: 'flaky',
        owner: 'carol',
        status: 'paused',
        capabilities: { ...capabilities, provider: 'cpu', maxImageSize: 512, canTrain: false },
        tokenFingerprint: '01234567',
        lastHeartbeat: Date.UTC(2025, 0, 3),
        createdAt: Date.UTC(2025, 0, 1),
        pausedReason: 'paused automatically: 5 failed jobs in the last hour; last: out of memory',
      },
    ];
    ctx.answers.query = () => ({ agents });
    expect(await runCli(['agents', 'list'], ctx)).toBe(0);
    expect(ctx.calls[0]).toEqual({ method: 'query', args: [{ type: 'listAgents' }, { stale: false }] });
    const lines = ctx.out.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+OWNER\s+STATUS\s+PROVIDER\s+MAX SIZE\s+TRAIN\s+TOKEN\s+LAST HEARTBEAT\s+CREATED$/);
    expect(lines[1]).toMatch(/^a-1\s+gpu-box\s+alice\s+active\s+cuda\s+1024px\s+yes\s+ab12cd34\s+-\s+2025-01-02T03:04:05Z$/);
    expect(lines[2]).toMatch(/^a-2\s+old\s+bob\s+revoked\s+-\s+-\s+-\s+ffee0011/);
    expect(lines[3]).toMatch(/^a-3\s+flaky\s+carol\s+paused\s+cpu\s+512px\s+no\s+01234567\s+2025-01-03T00:00:00Z/);
    expect(lines.slice(4)).toEqual(['', 'Paused agents take no jobs:', '  a-3 (flaky): paused automatically: 5 failed jobs in the last hour; last: out of memory']);
    ctx.out = '';
    expect(await runCli(['agents', 'list', '--json', '--stale'], ctx)).toBe(0);
    expect(JSON.parse(ctx.out)).toEqual({ agents });
    expect(ctx.calls[1]?.args[1]).toEqual({ stale: true });
  });

  it('revoke proposes revokeAgent with the admin token', async () => {
    ctx.answers.propose = () => ({ id: 'a-1', status: 'revoked' });
    expect(await runCli(['agents', 'revoke', 'a-1'], ctx)).toBe(0);
    expect(ctx.calls).toEqual([{ method: 'propose', args: [{ type: 'revokeAgent', agentId: 'a-1' }] }]);
    expect(ctx.out).toBe('Revoked agent a-1; its token no longer works.\n');
    expect(ctx.clientOptions[0]?.adminToken).toBe(ADMIN);
    expect(await runCli(['agents', 'revoke'], ctx)).toBe(2);
    expect(await runCli(['agents', 'revoke', 'a-1', 'a-2'], ctx)).toBe(2);
  });
});

describe('teambooth cluster', () => {
  it('add-node checks its flags, calls addNode and shows how to start the new node', async () => {
    ctx.answers.conf = {
      voters: ['n1', 'n2', 'n3'],
      learners: ['n4'],
      addresses: { n1: '127.0.0.1:7001', n2: '127.0.0.1:7002', n3: '127.0.0.1:7003', n4: '127.0.0.1:7004' },
    };
    ctx.answers.statusAll = threeNodes;
    expect(await runCli(['cluster', 'add-node', '--id', 'n4', '--address', '127.0.0.1:7004'], ctx)).toBe(0);
    expect(ctx.calls.map((call) => call.method)).toEqual(['addNode', 'statusAll']);
    expect(ctx.calls[0]?.args).toEqual(['n4', '127.0.0.1:7004']);
    expect(ctx.out).toContain('learners: n4 (127.0.0.1:7004)');
    expect(ctx.out).toContain(
      'teambooth node --id n4 --listen 127.0.0.1:7004 --peers n1=127.0.0.1:7001,n2=127.0.0.1:7002,n3=127.0.0.1:7003,n4=127.0.0.1:7004 --cluster-id c-test --join',
    );
    expect(await runCli(['cluster', 'add-node', '--id', 'N4', '--address', '127.0.0.1:7004'], ctx)).toBe(2);
    expect(ctx.err).toContain('error: --id must be lowercase letters');
    expect(await runCli(['cluster', 'add-node', '--id', 'n4', '--address', 'host'], ctx)).toBe(2);
    expect(ctx.err).toContain('error: --address must be host:port');
    expect(ctx.calls).toHaveLength(2);
  });

  it('remove-node and transfer-leader call the cluster with the admin token', async () => {
    expect(await runCli(['cluster', 'remove-node', '--id', 'n4'], ctx)).toBe(0);
    expect(await runCli(['cluster', 'transfer-leader', '--id', 'n2'], ctx)).toBe(0);
    expect(ctx.calls).toEqual([
      { method: 'removeNode', args: ['n4'] },
      { method: 'transferLeadership', args: ['n2'] },
    ]);
    expect(ctx.out).toContain('Leadership transferred to n2.');
    expect(ctx.clientOptions.map((options) => options.adminToken)).toEqual([ADMIN, ADMIN]);
  });
});

describe('teambooth node', () => {
  it('starts a node from flags and env, and closes it cleanly on SIGTERM', async () => {
    ctx.env['TEAMBOOTH_RAFT_TICK_MS'] = '20';
    const running = runCli(
      ['node', '--id', 'n2', '--listen', '127.0.0.1:7002', '--peers', 'n1=127.0.0.1:7001,n2=127.0.0.1:7002', '--data-dir', 'data/n2', '--join'],
      ctx,
    );
    await vitestWaitFor(() => ctx.startedNodes.length === 1 && ctx.out.includes('serving'));
    expect(ctx.startedNodes[0]).toMatchObject({
      id: 'n2',
      listen: '127.0.0.1:7002',
      advertise: '127.0.0.1:7002',
      peers: { n1: '127.0.0.1:7001', n2: '127.0.0.1:7002' },
      dataDir: 'data/n2',
      join: true,
      adminToken: ADMIN,
      raft: expect.objectContaining({ tickMs: 20 }),
    });
    expect(ctx.out).toContain('node n2 serving at 127.0.0.1:7002');
    expect(ctx.raise('SIGTERM')).toBe(1);
    expect(await running).toBe(0);
    expect(ctx.nodeClosed).toBe(1);
    expect(ctx.raise('SIGTERM')).toBe(0);
  });

  it('serves metrics where --metrics-listen says, and prints their address', async () => {
    const running = runCli(['node', '--id', 'n1', '--metrics-listen', '127.0.0.1:9464'], ctx);
    await vitestWaitFor(() => ctx.out.includes('serving'));
    expect(ctx.startedNodes[0]?.metricsListen).toBe('127.0.0.1:9464');
    expect(ctx.out).toMatch(/^node n1 serving at 127\.0\.0\.1:7001 \(data: \S+, metrics at http:\/\/127\.0\.0\.1:9464\/metrics\); stop with Ctrl-C$/m);
    ctx.raise('SIGTERM');
    expect(await running).toBe(0);
    expect(await runCli(['node', '--id', 'n1', '--metrics-listen', '9464'], ctx)).toBe(2);
    expect(ctx.err).toBe('config error: node.metricsListen (from --metrics-listen="9464") must be host:port, e.g. 127.0.0.1:7001 (got "9464")\n');
  });

  it('exits at once (status 1) on a second signal while closing hangs', async () => {
    ctx.nodeCloseHangs = true;
    const running = runCli(['node', '--id', 'n1'], ctx);
    await vitestWaitFor(() => ctx.out.includes('serving'));
    ctx.raise('SIGINT');
    await vitestWaitFor(() => ctx.nodeClosed === 1);
    ctx.raise('SIGINT');
    expect(await running).toBe(1);
    expect(ctx.err).toContain('node n1: second signal, exiting without a clean close');
  });

  it('refuses to start without an id, and refuses bad peers naming the flag', async () => {
    expect(await runCli(['node'], ctx)).toBe(1);
    expect(ctx.err).toBe('config error: node.id is required to run a node: pass --id or set TEAMBOOTH_NODE_ID\n');
    ctx.err = '';
    expect(await runCli(['node', '--id', 'n1', '--peers', 'n2=127.0.0.1:7002,n3=127.0.0.1:7003'], ctx)).toBe(2);
    expect(ctx.err).toBe(
      'config error: node.peers (from --peers="n2=127.0.0.1:7002,n3=127.0.0.1:7003") must include this node (n1); add n1=127.0.0.1:7001 to the list\n',
    );
    expect(ctx.startedNodes).toHaveLength(0);
  });
});

describe('usage', () => {
  it('prints help on --help (exit 0) and refuses unknown commands and options (exit 2)', async () => {
    expect(await runCli(['--help'], ctx)).toBe(0);
    expect(ctx.out).toMatch(/Commands:[\s\S]*up[\s\S]*node[\s\S]*status[\s\S]*agents[\s\S]*cluster/);
    expect(await runCli(['stats'], ctx)).toBe(2);
    expect(ctx.err).toContain("unknown command 'stats'");
    expect(await runCli(['status', '--jsn'], ctx)).toBe(2);
    expect(await runCli(['status', '--log-level', 'loud'], ctx)).toBe(2);
    expect(ctx.clientOptions).toHaveLength(0);
  });

  it('takes --config and --log-level before or after the command; client commands log warnings only unless asked', async () => {
    await runCli(['status'], ctx);
    await runCli(['--log-level', 'debug', 'status'], ctx);
    await runCli(['status', '--log-level', 'error'], ctx);
    ctx.env['TEAMBOOTH_LOG_LEVEL'] = 'trace';
    await runCli(['status'], ctx);
    expect(ctx.clientOptions.map((options) => options.logger.level)).toEqual(['warn', 'debug', 'error', 'trace']);
    ctx.err = '';
    expect(await runCli(['--config', join(dir, 'missing.json'), 'status'], ctx)).toBe(1);
    expect(ctx.err).toContain(`config file ${join(dir, 'missing.json')} cannot be read: the file does not exist`);
  });

  it('refuses unknown TEAMBOOTH_ variables before doing anything (exit 1)', async () => {
    ctx.env['TEAMBOOTH_CLIENT_SERVER'] = '127.0.0.1:7001';
    expect(await runCli(['status'], ctx)).toBe(1);
    expect(ctx.err).toContain('config error: TEAMBOOTH_CLIENT_SERVER is not a known setting; did you mean TEAMBOOTH_CLIENT_SERVERS?');
    expect(ctx.clientOptions).toHaveLength(0);
  });
});

/** Waits (by yielding to the event loop, not by timers) until `condition` holds. */
async function vitestWaitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}
