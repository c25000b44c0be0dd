/**
 * Leadership transfer (Ongaro's thesis §3.10): the leader brings the target's log up to date,
 * then tells it to campaign at once (TimeoutNow); it stops taking proposals meanwhile, and gives
 * up after an election timeout if the target never catches up.
 */
import { describe, expect, it } from 'vitest';
import { ConfChangeError, ProposalDroppedError } from '../../cluster/raft/errors.ts';
import { SimCluster } from '../support/sim-cluster.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('§3.10 leadership transfer', () => {
  it('an up-to-date follower takes over in the next term, well within an election timeout, keeping every entry', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const cluster = new SimCluster({ seed, nodes: 3 });
      const leader = cluster.waitForLeader();
      const term = leader.store.hardState.term;
      for (let i = 0; i < 5; i++) cluster.propose(`before-${i}`);
      cluster.runFor(50);
      const target = cluster.ids().find((id) => id !== leader.id)!;
      const asked = cluster.clock.now();
      leader.act((core) => core.transferLeadership(target));
      expect(cluster.runUntil(() => cluster.leader()?.id === target, 100)).toBe(true);
      expect(cluster.clock.now() - asked).toBeLessThan(50);
      expect(cluster.node(target).store.hardState.term).toBe(term + 1);
      cluster.propose('after');
      cluster.runFor(50);
      for (const id of cluster.ids()) expect(cluster.committedCommands(id)).toEqual([...Array.from({ length: 5 }, (_, i) => `before-${i}`), 'after']);
      expect(leader.knownLeader()).toBe(target);
    }
  });

  it('a lagging target is caught up first, then takes over with every committed entry', () => {
    const cluster = new SimCluster({ seed: 2, nodes: 3 });
    const leader = cluster.waitForLeader();
    const target = cluster.ids().find((id) => id !== leader.id)!;
    cluster.network.isolate(target);
    for (let i = 0; i < 30; i++) cluster.propose(`missed-${i}`);
    cluster.runFor(50);
    expect(cluster.committedCommands(target)).toEqual([]);
    cluster.network.heal();
    leader.act((core) => core.transferLeadership(target));
    expect(cluster.runUntil(() => cluster.leader()?.id === target, 200)).toBe(true);
    expect(cluster.committedCommands(target)).toHaveLength(30);
  });

  it('proposals are refused during a transfer; a transfer to an unreachable node is abandoned after an election timeout', () => {
    const cluster = new SimCluster({ seed: 3, nodes: 3 });
    const leader = cluster.waitForLeader();
    const target = cluster.ids().find((id) => id !== leader.id)!;
    cluster.network.isolate(target);
    cluster.propose('target-misses-this');
    leader.act((core) => core.transferLeadership(target));
    expect(leader.raft().status().leadTransferee).toBe(target);
    expect(() => leader.raft().propose(bytes('during'))).toThrow(ProposalDroppedError);
    expect(cluster.runUntil(() => leader.raft().status().leadTransferee === '', 300)).toBe(true);
    expect(leader.currentRole()).toBe('leader');
    expect(() => cluster.propose('after-abandoning')).not.toThrow();
  });

  it('a transfer asked on a follower is forwarded to the leader', () => {
    const cluster = new SimCluster({ seed: 4, nodes: 5 });
    const leader = cluster.waitForLeader();
    const follower = cluster.node(cluster.ids().find((id) => id !== leader.id)!);
    follower.act((core) => core.transferLeadership(follower.id));
    expect(cluster.runUntil(() => cluster.leader()?.id === follower.id, 100)).toBe(true);
  });

  it('a transfer to a node that is not a voter is refused with a clear error', () => {
    const cluster = new SimCluster({ seed: 5, nodes: 3 });
    const leader = cluster.waitForLeader();
    expect(() => leader.raft().transferLeadership('n9')).toThrow(ConfChangeError);
    expect(() => leader.raft().transferLeadership('n9')).toThrow(/n9/);
  });

  it('clients see a linearizable history while leadership moves around every 150 ms', () => {
    const cluster = new SimCluster({ seed: 6, nodes: 5, faults: { minDelayMs: 1, maxDelayMs: 8 } });
    cluster.waitForLeader();
    cluster.startClients(4, 60, { thinkMs: 10 });
    for (let i = 0; i < 12; i++) {
      cluster.runFor(150);
      const leader = cluster.leader();
      const to = cluster.random.pick(cluster.ids().filter((id) => id !== leader?.id));
      leader?.act((core) => core.transferLeadership(to));
    }
    expect(cluster.settle()).toBe(true);
    expect(cluster.verify().problems).toEqual([]);
    expect(cluster.invariants.leaders().length).toBeGreaterThan(6);
  });
});
