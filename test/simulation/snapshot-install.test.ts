/**
 * Log compaction and InstallSnapshot (Raft paper §7): each server snapshots its state and
 * drops the log before it; a follower that falls behind the leader's compaction point gets the
 * snapshot instead of entries. Sends can fail or be slow or duplicated; restarts start from the
 * stored snapshot plus the entries after it; a crash in the middle of a write keeps a prefix.
 */
import { describe, expect, it } from 'vitest';
import { SimCluster } from '../support/sim-cluster.ts';

function writeAndWait(cluster: SimCluster, clients: number, ops: number): void {
  cluster.startClients(clients, ops, { putRatio: 1, thinkMs: 2 });
  expect(cluster.runUntil(() => cluster.clients.every((c) => c.idle()), 10_000)).toBe(true);
}

describe('§7 snapshots and InstallSnapshot', () => {
  it('a follower that fell behind the compaction point is sent a snapshot and converges', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const cluster = new SimCluster({ seed, nodes: 3, snapshotEvery: 5 });
      const leader = cluster.waitForLeader();
      const lagging = cluster.node(cluster.ids().find((id) => id !== leader.id)!);
      cluster.crash(lagging.id);
      const lastBefore = lagging.store.lastIndex();
      writeAndWait(cluster, 2, 20);
      expect(leader.store.snapshotIndex()).toBeGreaterThan(lastBefore); // what it missed is compacted
      const installs = cluster.invariants.snapshotsInstalled;
      cluster.restart(lagging.id);
      expect(cluster.runUntil(() => lagging.applied === leader.raft().status().commit, 1000)).toBe(true);
      expect(cluster.invariants.snapshotsInstalled).toBe(installs + 1);
      expect(lagging.kv.entries()).toEqual(leader.kv.entries());
      expect(lagging.kv.fingerprint()).toBe(leader.kv.fingerprint());
    }
  });

  it('a lost snapshot is sent again once the link works', () => {
    const cluster = new SimCluster({ seed: 2, nodes: 3, snapshotEvery: 5 });
    const leader = cluster.waitForLeader();
    const lagging = cluster.node(cluster.ids().find((id) => id !== leader.id)!);
    cluster.crash(lagging.id);
    writeAndWait(cluster, 2, 15);
    let lost = 0;
    const stop = cluster.network.intercept((m) => (m.type === 'snap' ? (lost++, 'drop') : undefined));
    cluster.restart(lagging.id);
    cluster.runFor(500);
    expect(lost).toBeGreaterThan(1); // the leader kept trying
    expect(lagging.applied).toBeLessThan(leader.raft().status().commit);
    stop();
    expect(cluster.runUntil(() => lagging.applied === leader.raft().status().commit, 1000)).toBe(true);
    expect(lagging.kv.entries()).toEqual(leader.kv.entries());
  });

  it('a slow, duplicated snapshot is installed once, and writes keep committing meanwhile', () => {
    const cluster = new SimCluster({ seed: 3, nodes: 3, snapshotEvery: 5 });
    const leader = cluster.waitForLeader();
    const lagging = cluster.node(cluster.ids().find((id) => id !== leader.id)!);
    cluster.crash(lagging.id);
    writeAndWait(cluster, 2, 15);
    const sent = new Set<number>();
    let sends = 0;
    let delivered = 0;
    cluster.network.intercept((m) => {
      if (m.type !== 'snap') return undefined;
      sent.add(m.snapshot!.metadata.index);
      sends++;
      return [400, 450]; // slow, and delivered twice
    });
    cluster.network.onDeliver((m) => void (m.type === 'snap' && delivered++));
    const installs = cluster.invariants.snapshotsInstalled;
    cluster.restart(lagging.id);
    cluster.startClients(1, 10, { putRatio: 1, thinkMs: 2 });
    cluster.runFor(300);
    expect(cluster.clients.at(-1)!.idle()).toBe(true); // the leader and the other follower carried on
    expect(cluster.runUntil(() => lagging.applied === leader.raft().status().commit, 3000)).toBe(true);
    cluster.runFor(500); // let the last duplicates land
    expect(delivered).toBe(2 * sends);
    expect(sends).toBe(sent.size); // no snapshot was sent twice while one was on its way
    // Each distinct snapshot at most once; the checker would have failed on a re-install.
    const installed = cluster.invariants.snapshotsInstalled - installs;
    expect(installed).toBeGreaterThanOrEqual(1);
    expect(installed).toBeLessThanOrEqual(sent.size);
    expect(lagging.kv.entries()).toEqual(leader.kv.entries());
  });

  it('a restarted node starts from its stored snapshot and replays only the entries after it', () => {
    const cluster = new SimCluster({ seed: 4, nodes: 3, snapshotEvery: 7 });
    const leader = cluster.waitForLeader();
    writeAndWait(cluster, 2, 20);
    cluster.runFor(50);
    const follower = cluster.node(cluster.ids().find((id) => id !== leader.id)!);
    const snapshotIndex = follower.store.snapshotIndex();
    expect(snapshotIndex).toBeGreaterThan(0);
    const state = follower.kv.entries();
    cluster.crash(follower.id);
    cluster.restart(follower.id);
    expect(follower.applied).toBeGreaterThanOrEqual(snapshotIndex);
    expect(cluster.runUntil(() => follower.applied === leader.raft().status().commit, 500)).toBe(true);
    expect(follower.kv.entries()).toEqual(state);
  });

  it('a node that dies halfway through writing a Ready restarts from what reached the disk and catches up', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const cluster = new SimCluster({ seed, nodes: 3, snapshotEvery: 6 });
      cluster.waitForLeader();
      cluster.startClients(3, 30, { thinkMs: 5 });
      for (let round = 0; round < 6; round++) {
        cluster.runFor(60);
        const victim = cluster.random.pick(cluster.ids());
        cluster.crash(victim, round % 3); // keeps 0, 1 or 2 of the new entries
        cluster.runFor(60);
        if (!cluster.node(victim).isUp()) cluster.restart(victim);
      }
      expect(cluster.settle()).toBe(true);
      expect(cluster.verify().problems).toEqual([]);
    }
  });
});
