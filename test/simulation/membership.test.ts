/**
 * Single-server membership changes (Ongaro's thesis §4.1-4.3, §4.2.1 learners): a new server
 * joins as a non-voting learner, catches up (through a snapshot when the log is compacted),
 * then is promoted; a server, the leader included, can be removed. One change at a time.
 */
import { describe, expect, it } from 'vitest';
import { ConfChangeError } from '../../cluster/raft/errors.ts';
import type { ConfChange, ConfState } from '../../cluster/raft/types.ts';
import { SimCluster } from '../support/sim-cluster.ts';

/** Proposes `cc` on whoever leads (retrying while another change is pending) and waits until the leader applied it. */
function change(cluster: SimCluster, cc: ConfChange, limitMs = 3000): ConfState {
  const applied = (conf: ConfState): boolean =>
    cc.type === 'addLearner' ? conf.learners.includes(cc.nodeId) : cc.type === 'promote' ? conf.voters.includes(cc.nodeId) : ![...conf.voters, ...conf.learners].includes(cc.nodeId);
  const end = cluster.clock.now() + limitMs;
  let proposedAt = -Infinity;
  while (cluster.clock.now() < end) {
    const leader = cluster.leader();
    if (leader !== undefined) {
      if (applied(leader.raft().status().conf)) return leader.raft().status().conf;
      if (cluster.clock.now() - proposedAt > 300) {
        try {
          leader.act((core) => core.proposeConfChange(cc));
          proposedAt = cluster.clock.now();
        } catch (err) {
          if (!(err instanceof ConfChangeError)) throw err;
        }
      }
    }
    cluster.runFor(5);
  }
  throw new Error(`membership change ${JSON.stringify(cc)} did not apply within ${limitMs} ms`);
}

const address = (id: string) => `${id}.sim:7000`;

describe('membership changes (thesis §4)', () => {
  it('a learner catches up through a snapshot, does not count toward the quorum, and is promoted to voter', () => {
    const cluster = new SimCluster({ seed: 1, nodes: 3, snapshotEvery: 5 });
    const leader = cluster.waitForLeader();
    cluster.startClients(2, 20, { putRatio: 1, thinkMs: 2 });
    cluster.runUntil(() => cluster.clients.every((c) => c.idle()), 5000);
    const n4 = cluster.addNode('n4');
    change(cluster, { type: 'addLearner', nodeId: 'n4', address: address('n4') });
    expect(cluster.runUntil(() => n4.applied === leader.raft().status().commit, 1000)).toBe(true);
    expect(n4.store.snapshot?.metadata.index).toBeGreaterThan(0); // it got a snapshot, not the whole log
    expect(n4.kv.entries()).toEqual(leader.kv.entries());
    expect(n4.currentRole()).toBe('follower');

    // The learner does not vote: with both other voters down, the leader cannot commit.
    const others = cluster.ids().filter((id) => id !== leader.id && id !== 'n4');
    for (const id of others) cluster.crash(id);
    const commit = leader.raft().status().commit;
    cluster.propose('needs-a-voter');
    cluster.runFor(50);
    expect(leader.raft().status().commit).toBe(commit);
    for (const id of others) cluster.restart(id);
    const restored = cluster.waitForLeader();

    const conf = change(cluster, { type: 'promote', nodeId: 'n4' });
    expect(conf.voters).toContain('n4');
    // Four voters need three: the leader plus n4 alone cannot commit.
    const downs = cluster.ids().filter((id) => id !== restored.id && id !== 'n4');
    for (const id of downs.slice(0, 2)) cluster.crash(id);
    const before = restored.raft().status().commit;
    const { index } = restored.act((core) => core.propose(new TextEncoder().encode('needs-three-of-four')));
    cluster.runFor(50);
    expect(restored.raft().status().commit).toBe(before);
    cluster.restart(downs[0]!);
    expect(cluster.runUntil(() => n4.applied >= index, 2000)).toBe(true);
    expect(cluster.invariants.appliedAt(index)).toBe('normal:needs-three-of-four');
  });

  it('without compaction, a new learner replays the whole log and ends with the leader\'s membership', () => {
    const cluster = new SimCluster({ seed: 7, nodes: 3 });
    const leader = cluster.waitForLeader();
    for (let i = 0; i < 10; i++) cluster.propose(`x${i}`);
    cluster.runFor(50);
    const n4 = cluster.addNode('n4');
    change(cluster, { type: 'addLearner', nodeId: 'n4', address: address('n4') });
    expect(cluster.runUntil(() => n4.applied === leader.raft().status().commit, 1000)).toBe(true);
    expect(n4.store.snapshot).toBeUndefined(); // it got entries from index 1, not a snapshot
    expect(n4.raft().status().conf).toEqual(leader.raft().status().conf);
    expect(cluster.committedCommands('n4')).toEqual(cluster.committedCommands(leader.id));
  });

  it('a learner that has not caught up cannot be promoted, and only one change may be pending at a time', () => {
    const cluster = new SimCluster({ seed: 2, nodes: 3 });
    const leader = cluster.waitForLeader();
    for (let i = 0; i < 10; i++) cluster.propose(`x${i}`);
    cluster.runFor(50);
    cluster.addNode('n4');
    cluster.network.isolate('n4');
    change(cluster, { type: 'addLearner', nodeId: 'n4', address: address('n4') });
    expect(() => leader.raft().proposeConfChange({ type: 'promote', nodeId: 'n4' })).toThrow(/caught up/);
    leader.act((core) => core.proposeConfChange({ type: 'remove', nodeId: 'n4' }));
    expect(() => leader.raft().proposeConfChange({ type: 'addLearner', nodeId: 'n5', address: address('n5') })).toThrow(ConfChangeError);
    expect(() => leader.raft().proposeConfChange({ type: 'promote', nodeId: 'n1' })).toThrow(ConfChangeError);
  });

  it('invalid changes are refused with a message naming the problem', () => {
    const cluster = new SimCluster({ seed: 3, nodes: 3 });
    const leader = cluster.waitForLeader();
    cluster.runFor(50);
    expect(() => leader.raft().proposeConfChange({ type: 'addLearner', nodeId: 'n2', address: address('n2') })).toThrow(/already a member/);
    expect(() => leader.raft().proposeConfChange({ type: 'addLearner', nodeId: 'n7' })).toThrow(/address/);
    expect(() => leader.raft().proposeConfChange({ type: 'promote', nodeId: 'n7' })).toThrow(/not a learner/);
    expect(() => leader.raft().proposeConfChange({ type: 'remove', nodeId: 'n7' })).toThrow(/not a member/);
  });

  it('a removed follower stops getting entries and cannot disrupt the others, even if it never learned of its removal', () => {
    const cluster = new SimCluster({ seed: 4, nodes: 3 });
    const leader = cluster.waitForLeader();
    const victim = cluster.ids().find((id) => id !== leader.id)!;
    cluster.network.isolate(victim);
    const conf = change(cluster, { type: 'remove', nodeId: victim });
    cluster.targets.delete(victim);
    expect(conf.voters).toHaveLength(2);
    const term = leader.store.hardState.term;
    cluster.network.heal();
    cluster.propose('without-the-victim');
    cluster.runFor(2000);
    expect(cluster.leader()?.id).toBe(leader.id);
    expect(leader.store.hardState.term).toBe(term);
    expect(cluster.committedCommands(victim)).not.toContain('without-the-victim');
    for (const id of cluster.targets) expect(cluster.committedCommands(id)).toContain('without-the-victim');
  });

  it('removing the leader: it steps down, the remaining voters elect a new leader, and writes go on', () => {
    const cluster = new SimCluster({ seed: 5, nodes: 3 });
    const old = cluster.waitForLeader();
    old.act((core) => core.proposeConfChange({ type: 'remove', nodeId: old.id }));
    expect(cluster.runUntil(() => old.currentRole() !== 'leader', 500)).toBe(true);
    cluster.targets.delete(old.id);
    const fresh = cluster.waitForLeader(3000, old.id);
    expect(fresh.raft().status().conf.voters).not.toContain(old.id);
    cluster.propose('after-removal');
    cluster.runFor(100);
    for (const id of cluster.targets) expect(cluster.committedCommands(id)).toContain('after-removal');
    cluster.runFor(2000);
    expect(old.currentRole()).toBe('follower'); // never campaigns again
  });

  it('clients see a linearizable history through a series of additions, promotions and removals', () => {
    const cluster = new SimCluster({ seed: 6, nodes: 3, snapshotEvery: 8, faults: { minDelayMs: 1, maxDelayMs: 6 } });
    cluster.waitForLeader();
    cluster.startClients(4, 80, { thinkMs: 15 });
    cluster.runFor(200);
    cluster.addNode('n4');
    change(cluster, { type: 'addLearner', nodeId: 'n4', address: address('n4') });
    change(cluster, { type: 'promote', nodeId: 'n4' });
    const first = cluster.leader()!.id;
    change(cluster, { type: 'remove', nodeId: first });
    cluster.targets.delete(first);
    cluster.addNode('n5');
    change(cluster, { type: 'addLearner', nodeId: 'n5', address: address('n5') });
    change(cluster, { type: 'promote', nodeId: 'n5' });
    expect(cluster.settle()).toBe(true);
    expect(cluster.verify().problems).toEqual([]);
    const conf = cluster.leader()!.raft().status().conf;
    expect([...conf.voters].sort()).toEqual([...cluster.targets].sort());
  });
});
