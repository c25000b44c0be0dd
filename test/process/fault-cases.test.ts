import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterClient } from '../../cluster/client/cluster-client.ts';
import { ProcessCluster } from '../support/process-cluster.ts';

/**
 * The six fault cases of the original Teambooth report, on real `teambooth node` processes over
 * gRPC on loopback: nodes cut off by the network (black-holed TCP proxies between peers) and
 * nodes crashed with SIGKILL. Where a majority is gone no write may commit; when it comes back,
 * every committed write is still there.
 */

let cluster: ProcessCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const put = (client: ClusterClient, key: string, value: string) => client.propose({ type: 'put', key, value });
const get = async (client: ClusterClient, key: string, stale = false) =>
  ((await client.query({ type: 'kvGet', key }, { stale })) as { value: unknown }).value;

/** Writes `count` keys and returns them; every write must succeed. */
async function writeKeys(client: ClusterClient, prefix: string, count: number): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    await put(client, `${prefix}-${i}`, `value-${prefix}-${i}`);
    keys.push(`${prefix}-${i}`);
  }
  return keys;
}

async function expectAllPresent(client: ClusterClient, keys: string[]): Promise<void> {
  for (const key of keys) expect(await get(client, key)).toBe(`value-${key}`);
}

/**
 * A write that cannot commit: it must fail within its deadline and no node's commit index may
 * move. (Its outcome is unknown to the client, so it may still commit once a majority is back.)
 */
async function expectNoCommit(c: ProcessCluster, key: string): Promise<void> {
  const before = Math.max(0, ...(await c.statuses()).map((s) => s.commitIndex));
  const client = c.client({ deadlineMs: 2500 });
  await expect(put(client, key, 'must-not-commit')).rejects.toThrow();
  const after = Math.max(0, ...(await c.statuses()).map((s) => s.commitIndex));
  expect(after).toBe(before);
}

/** Waits until `id` has applied everything the leader committed, and serves the keys from its own state. */
async function expectCaughtUp(c: ProcessCluster, id: string, keys: string[]): Promise<void> {
  const leader = await c.waitForLeader();
  const target = (await c.statuses()).find((s) => s.id === leader)!.commitIndex;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const s = (await c.statuses()).find((x) => x.id === id);
    if (s && s.appliedIndex >= target) break;
    if (Date.now() > deadline) throw new Error(`${id} did not catch up to ${target}: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const local = c.client({ servers: [c.node(id).address] });
  for (const key of keys) expect(await get(local, key, true)).toBe(`value-${key}`);
}

describe('fault cases on real processes', { timeout: 180_000 }, () => {
  it('3 nodes, 1 cut off by the network: the rest commit, the cut-off node catches up after healing', async () => {
    cluster = await ProcessCluster.start({ size: 3 });
    const client = cluster.client();
    const leader = await cluster.waitForLeader();
    const before = await writeKeys(client, 'before', 5);
    cluster.isolate(leader);
    const rest = cluster.nodes.map((n) => n.id).filter((id) => id !== leader);
    const newLeader = await cluster.waitForLeader(rest);
    expect(newLeader).not.toBe(leader);
    const during = await writeKeys(client, 'during', 5);
    cluster.heal();
    await expectCaughtUp(cluster, leader, [...before, ...during]);
  });

  it('3 nodes, 2 cut off by the network: no write commits; after healing every committed write is there', async () => {
    cluster = await ProcessCluster.start({ size: 3 });
    const client = cluster.client();
    const leader = await cluster.waitForLeader();
    const before = await writeKeys(client, 'before', 5);
    for (const n of cluster.nodes) if (n.id !== leader) cluster.isolate(n.id);
    await expectNoCommit(cluster, 'partitioned');
    cluster.heal();
    await cluster.waitForLeader();
    await expectAllPresent(client, before);
    await writeKeys(client, 'after', 3);
  });

  it('3 nodes, 1 crashed: the rest commit, the restarted node catches up from disk', async () => {
    cluster = await ProcessCluster.start({ size: 3 });
    const client = cluster.client();
    const leader = await cluster.waitForLeader();
    const before = await writeKeys(client, 'before', 5);
    await cluster.kill(leader);
    await cluster.waitForLeader(cluster.nodes.map((n) => n.id).filter((id) => id !== leader));
    const during = await writeKeys(client, 'during', 5);
    cluster.restart(leader);
    await expectCaughtUp(cluster, leader, [...before, ...during]);
  });

  it('3 nodes, 2 crashed: no write commits; after restart every committed write is there', async () => {
    cluster = await ProcessCluster.start({ size: 3 });
    const client = cluster.client();
    await cluster.waitForLeader();
    const before = await writeKeys(client, 'before', 5);
    const [a, b] = [cluster.nodes[0]!.id, cluster.nodes[1]!.id];
    await cluster.kill(a);
    await cluster.kill(b);
    await expectNoCommit(cluster, 'minority');
    cluster.restart(a);
    cluster.restart(b);
    await cluster.waitForLeader();
    await expectAllPresent(client, before);
  });

  it('5 nodes, 2 crashed: the other 3 commit, and the crashed ones catch up', async () => {
    cluster = await ProcessCluster.start({ size: 5 });
    const client = cluster.client();
    const leader = await cluster.waitForLeader();
    const before = await writeKeys(client, 'before', 3);
    const follower = cluster.nodes.find((n) => n.id !== leader)!.id;
    await cluster.kill(leader);
    await cluster.kill(follower);
    await cluster.waitForLeader(cluster.nodes.map((n) => n.id).filter((id) => id !== leader && id !== follower));
    const during = await writeKeys(client, 'during', 3);
    cluster.restart(leader);
    cluster.restart(follower);
    await expectCaughtUp(cluster, follower, [...before, ...during]);
  });

  it('5 nodes, 4 crashed: no write commits; after restart every committed write is there', async () => {
    cluster = await ProcessCluster.start({ size: 5 });
    const client = cluster.client();
    await cluster.waitForLeader();
    const before = await writeKeys(client, 'before', 3);
    const crashed = cluster.nodes.slice(0, 4).map((n) => n.id);
    for (const id of crashed) await cluster.kill(id);
    await expectNoCommit(cluster, 'minority');
    for (const id of crashed) cluster.restart(id);
    await cluster.waitForLeader();
    await expectAllPresent(client, before);
  });
});
