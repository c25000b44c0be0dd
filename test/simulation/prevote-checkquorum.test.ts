/**
 * PreVote (Ongaro's thesis §9.6) and CheckQuorum with the leader lease (thesis §6.2, §4.2.3),
 * and the production failure they prevent together: with PreVote but without CheckQuorum, a
 * broken link between the leader and one follower lets that follower depose a healthy leader,
 * because followers that still hear the leader grant its pre-vote; and a leader cut off from
 * everyone never notices it no longer leads.
 */
import { describe, expect, it } from 'vitest';
import { SimCluster } from '../support/sim-cluster.ts';

const TICK_MS = 10;
const ELECTION_MS = 10 * TICK_MS; // electionTick 10; randomized timeouts fall in [100, 200) ms

describe('PreVote and CheckQuorum', () => {
  it('PreVote: a follower cut off for many election timeouts keeps its term, and rejoins without disrupting the leader', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const cluster = new SimCluster({ seed, nodes: 3 });
      const leader = cluster.waitForLeader();
      const term = leader.store.hardState.term;
      const follower = cluster.ids().find((id) => id !== leader.id)!;
      cluster.network.isolate(follower);
      cluster.runFor(20 * ELECTION_MS);
      expect(cluster.node(follower).store.hardState.term).toBe(term);
      cluster.network.heal();
      cluster.runFor(10 * ELECTION_MS);
      expect(cluster.leader()?.id).toBe(leader.id);
      expect(leader.store.hardState.term).toBe(term);
      expect(cluster.node(follower).knownLeader()).toBe(leader.id);
      expect(cluster.invariants.leaders().map(([, id]) => id)).toEqual([leader.id]);
    }
  });

  it('CheckQuorum: a leader cut off from the majority steps down within two election timeouts, and the majority moves on', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const cluster = new SimCluster({ seed, nodes: 5 });
      const old = cluster.waitForLeader();
      const cutAt = cluster.clock.now();
      cluster.network.partition([old.id, cluster.ids().find((id) => id !== old.id)!], cluster.ids().filter((id) => id !== old.id).slice(1));
      expect(cluster.runUntil(() => old.currentRole() !== 'leader', 3 * ELECTION_MS)).toBe(true);
      expect(cluster.clock.now() - cutAt).toBeLessThanOrEqual(2 * ELECTION_MS + TICK_MS);
      const fresh = cluster.waitForLeader(3000);
      expect(fresh.id).not.toBe(old.id);
      cluster.propose('majority-side');
      cluster.runFor(100);
      expect(cluster.committedCommands(fresh.id)).toEqual(['majority-side']);
      expect(cluster.committedCommands(old.id)).toEqual([]);
    }
  });

  it('leader lease: a follower that only lost its link with the leader cannot depose it (no flapping)', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const cluster = new SimCluster({ seed, nodes: 3 });
      const leader = cluster.waitForLeader();
      const term = leader.store.hardState.term;
      const [cut, bridge] = cluster.ids().filter((id) => id !== leader.id) as [string, string];
      cluster.network.cut(leader.id, cut);
      cluster.network.cut(cut, leader.id);
      cluster.runFor(30 * ELECTION_MS);
      expect(cluster.invariants.leaders().map(([, id]) => id)).toEqual([leader.id]);
      expect(leader.store.hardState.term).toBe(term);
      cluster.propose('still-available');
      cluster.runFor(50);
      expect(cluster.committedCommands(bridge)).toEqual(['still-available']);
    }
  });

  it('the same link failure with PreVote but without CheckQuorum deposes the healthy leader (why both are on by default)', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const cluster = new SimCluster({ seed, nodes: 3, raft: { checkQuorum: false } });
      const leader = cluster.waitForLeader();
      const term = leader.store.hardState.term;
      const cut = cluster.ids().find((id) => id !== leader.id)!;
      cluster.network.cut(leader.id, cut);
      cluster.network.cut(cut, leader.id);
      cluster.runFor(30 * ELECTION_MS);
      expect(cluster.invariants.leaders().length).toBeGreaterThan(1);
      expect(cluster.node(cut).store.hardState.term).toBeGreaterThan(term);
    }
  });

  it('without CheckQuorum a leader cut off from everyone goes on believing it leads', () => {
    const cluster = new SimCluster({ seed: 2, nodes: 3, raft: { checkQuorum: false } });
    const leader = cluster.waitForLeader();
    cluster.network.isolate(leader.id);
    cluster.runFor(20 * ELECTION_MS);
    expect(leader.currentRole()).toBe('leader');
    expect(cluster.leader()?.id).not.toBe(leader.id); // the others elected someone in a later term
  });
});
