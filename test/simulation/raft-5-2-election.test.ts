/**
 * Raft paper §5.2 (leader election): followers that hear nothing for an election timeout
 * campaign; a candidate wins with votes from a majority, each server voting at most once per
 * term; split votes are resolved by randomized timeouts; a candidate that hears from a leader
 * of its term or a later one steps down. (The campaign starts with a PreVote round, thesis §9.6.)
 */
import { describe, expect, it } from 'vitest';
import { message, type Message } from '../../cluster/raft/types.ts';
import { ManualNet } from '../support/manual-net.ts';
import { SimCluster } from '../support/sim-cluster.ts';

describe('§5.2 leader election', () => {
  it.each([3, 5])('a %i-node cluster elects exactly one leader that everyone follows, within a few election timeouts', (size) => {
    for (let seed = 1; seed <= 20; seed++) {
      const cluster = new SimCluster({ seed, nodes: size });
      const leader = cluster.waitForLeader(1000); // election timeout is 100-200 ms here
      const leaders = cluster.ids().filter((id) => cluster.node(id).currentRole() === 'leader');
      expect(leaders).toEqual([leader.id]);
      for (const id of cluster.ids()) expect(cluster.node(id).knownLeader()).toBe(leader.id);
    }
  });

  it('a follower that hears nothing campaigns: a pre-vote for term+1 that leaves its term alone, then a real vote', () => {
    const net = new ManualNet({ n1: {}, n2: {}, n3: {} });
    const n1 = net.core('n1');
    for (let i = 0; i < 20 && n1.status().role === 'follower'; i++) n1.tick();
    expect(n1.status().role).toBe('preCandidate');
    expect(n1.status().term).toBe(0);
    const preVotes = net.take();
    expect(preVotes.map((m) => [m.type, m.to, m.term])).toEqual([
      ['preVote', 'n2', 1],
      ['preVote', 'n3', 1],
    ]);
    net.deliver(preVotes[0] as Message);
    net.deliver(net.take()[0] as Message); // n2's grant
    expect(n1.status()).toMatchObject({ role: 'candidate', term: 1, vote: 'n1' });
    const rd = n1.ready();
    expect(rd.hardState).toMatchObject({ term: 1, vote: 'n1' }); // persisted before the requests go out
    expect(rd.messages.filter((m) => m.type === 'vote').map((m) => m.to)).toEqual(['n2', 'n3']);
    n1.advance();
  });

  it('a server grants at most one vote per term, first come first served, and persists it before answering', () => {
    const net = new ManualNet({ n1: {}, n2: {}, n3: {} });
    net.deliver(message({ type: 'vote', from: 'n2', to: 'n1', term: 1, index: 0, logTerm: 0 }));
    const rd = net.core('n1').ready();
    expect(rd.hardState).toMatchObject({ term: 1, vote: 'n2' });
    expect(rd.messages).toMatchObject([{ type: 'voteResp', to: 'n2', reject: false }]);
    net.core('n1').advance();
    net.deliver(message({ type: 'vote', from: 'n3', to: 'n1', term: 1, index: 5, logTerm: 1 }));
    expect(net.take()).toMatchObject([{ type: 'voteResp', to: 'n3', reject: true }]);
    // A repeated request from the same candidate (a retransmission) is granted again.
    net.deliver(message({ type: 'vote', from: 'n2', to: 'n1', term: 1, index: 0, logTerm: 0 }));
    expect(net.take()).toMatchObject([{ type: 'voteResp', to: 'n2', reject: false }]);
  });

  it('a candidate steps down when it hears from a leader of its own term or a later one', () => {
    for (const leaderTerm of [1, 4]) {
      const net = new ManualNet({ n1: {}, n2: {}, n3: {} });
      const n1 = net.core('n1');
      n1.campaign();
      net.deliver(message({ type: 'preVoteResp', from: 'n2', to: 'n1', term: 1 }));
      expect(n1.status().role).toBe('candidate');
      net.take();
      net.deliver(message({ type: 'heartbeat', from: 'n3', to: 'n1', term: leaderTerm, commit: 0 }));
      expect(n1.status()).toMatchObject({ role: 'follower', leader: 'n3', term: leaderTerm });
    }
  });

  it('split votes resolve: two simultaneous candidates that each get half the votes are followed by a later term with one leader', () => {
    for (let seed = 1; seed <= 10; seed++) {
      // Four voters; n1 reaches n3 first and n2 reaches n4 first, so each candidate gets 2 of 4.
      const cluster = new SimCluster({ seed, nodes: 4, faults: { minDelayMs: 2, maxDelayMs: 2 } });
      cluster.network.setLinkFaults('n1', 'n4', { minDelayMs: 20, maxDelayMs: 20 });
      cluster.network.setLinkFaults('n2', 'n3', { minDelayMs: 20, maxDelayMs: 20 });
      cluster.node('n1').act((core) => core.campaign());
      cluster.node('n2').act((core) => core.campaign());
      cluster.runFor(60);
      cluster.network.heal();
      expect(cluster.invariants.leaderOf(1)).toBeUndefined(); // the split really happened
      const leader = cluster.waitForLeader(3000);
      expect(leader.store.hardState.term).toBeGreaterThan(1);
      expect(cluster.ids().filter((id) => cluster.node(id).currentRole() === 'leader')).toEqual([leader.id]);
    }
  });

  it('randomized election timeouts spread out: followers do not all time out on the same tick', () => {
    const starts = new Set<number>();
    const net = new ManualNet({ n1: {}, n2: {}, n3: {}, n4: {}, n5: {} }, 3);
    for (const core of net.cores.values()) {
      let ticks = 0;
      while (core.status().role === 'follower') {
        core.tick();
        ticks++;
      }
      expect(ticks).toBeGreaterThanOrEqual(10);
      expect(ticks).toBeLessThan(20);
      starts.add(ticks);
    }
    expect(starts.size).toBeGreaterThan(1);
  });
});
