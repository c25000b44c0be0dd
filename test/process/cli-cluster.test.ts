import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessCluster, TEST_ADMIN_TOKEN } from '../support/process-cluster.ts';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../bin/teambooth.js');

/** Runs the `teambooth` command as a user would. */
async function teambooth(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [BIN, ...args], {
    env: { ...process.env, TEAMBOOTH_ADMIN_TOKEN: TEST_ADMIN_TOKEN, TEAMBOOTH_LOG_LEVEL: 'warn' },
  });
  return stdout;
}

let cluster: ProcessCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('a 3-node cluster driven by the teambooth CLI', { timeout: 180_000 }, () => {
  it('elects a leader, keeps agent tokens through SIGKILL of the leader, and a restarted node catches up from a snapshot', async () => {
    // Snapshot every 20 entries, so a node that misses more than that is caught up by InstallSnapshot.
    cluster = await ProcessCluster.start({ size: 3, env: { TEAMBOOTH_RAFT_SNAPSHOT_ENTRIES: '20' } });
    const servers = cluster.nodes.map((n) => n.address).join(',');
    const leader = await cluster.waitForLeader();

    const status = JSON.parse(await teambooth(['status', '--servers', servers, '--json'])) as {
      nodes: Array<{ id: string; role: string; leaderId: string; term: number }>;
    };
    expect(status.nodes.map((n) => n.id).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(status.nodes.filter((n) => n.role === 'leader').map((n) => n.id)).toEqual([leader]);

    const created = JSON.parse(await teambooth(['agents', 'token', 'create', '--name', 'gpu-box', '--servers', servers, '--json'])) as {
      agentId: string;
      token: string;
    };
    expect(created.agentId).toMatch(/^a-/);
    expect(created.token.length).toBeGreaterThan(20);

    await cluster.kill(leader);
    const rest = cluster.nodes.map((n) => n.id).filter((id) => id !== leader);
    const newLeader = await cluster.waitForLeader(rest);
    expect(newLeader).not.toBe(leader);

    // Enough writes while the old leader is down that the others compact past what it has.
    const client = cluster.client();
    for (let i = 0; i < 60; i++) await client.propose({ type: 'put', key: `k${i}`, value: i });
    const second = JSON.parse(await teambooth(['agents', 'token', 'create', '--name', 'second-box', '--servers', servers, '--json'])) as {
      agentId: string;
    };

    const listed = JSON.parse(await teambooth(['agents', 'list', '--servers', servers, '--json'])) as unknown;
    const text = JSON.stringify(listed);
    expect(text).toContain(created.agentId);
    expect(text).toContain(second.agentId);
    expect(text).not.toContain(created.token);

    cluster.restart(leader);
    const target = (await cluster.statuses()).find((s) => s.id === newLeader)!.commitIndex;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const s = (await cluster.statuses()).find((x) => x.id === leader);
      if (s && s.appliedIndex >= target) break;
      if (Date.now() > deadline) throw new Error(`restarted ${leader} did not catch up to ${target}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const log = await readFile(join(cluster.dir, `${leader}.log`), 'utf8');
    expect(log).toContain('installed snapshot from the leader');
    const local = cluster.client({ servers: [cluster.node(leader).address] });
    expect(await local.query({ type: 'kvGet', key: 'k59' }, { stale: true })).toEqual({ value: 59 });
    const agents = JSON.stringify(await local.query({ type: 'listAgents' }, { stale: true }));
    expect(agents).toContain(created.agentId);
    expect(agents).toContain(second.agentId);
  });

  it('a frozen leader (SIGSTOP) is replaced, and steps down when it wakes up', async () => {
    cluster = await ProcessCluster.start({ size: 3 });
    const client = cluster.client();
    const leader = await cluster.waitForLeader();
    await client.propose({ type: 'put', key: 'a', value: 1 });
    cluster.freeze(leader);
    const rest = cluster.nodes.map((n) => n.id).filter((id) => id !== leader);
    const newLeader = await cluster.waitForLeader(rest);
    await client.propose({ type: 'put', key: 'b', value: 2 });
    cluster.thaw(leader);
    expect(await cluster.waitForLeader()).toBe(newLeader);
    expect(await client.query({ type: 'kvGet', key: 'a' })).toEqual({ value: 1 });
    expect(await client.query({ type: 'kvGet', key: 'b' })).toEqual({ value: 2 });
  });
});
