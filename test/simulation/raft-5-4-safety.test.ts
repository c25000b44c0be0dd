/**
 * Raft paper §5.4 (safety): the election restriction (§5.4.1) keeps a candidate whose log is
 * behind from winning, so every leader holds all committed entries (Leader Completeness);
 * a leader only commits entries of its own term by counting replicas, never older ones
 * (§5.4.2, Figure 8), because an older entry on a majority can still be overwritten.
 */
import { describe, expect, it } from 'vitest';
import { message, type Message } from '../../cluster/raft/types.ts';
import { ManualNet, entriesWithTerms } from '../support/manual-net.ts';
import { SimCluster } from '../support/sim-cluster.ts';

describe('§5.4 safety', () => {
  it.each([
    ['a shorter log with the same last term', false, 2, 2],
    ['an older last term, even if longer', false, 9, 1],
    ['an equal log', true, 3, 2],
    ['a longer log with the same last term', true, 4, 2],
    ['a newer last term, even if shorter', true, 1, 3],
  ] as const)('§5.4.1 voting for a candidate with %s (granted: %s), even in a later term', (_, granted, lastIndex, lastTerm) => {
    const net = new ManualNet({ n1: { initial: { hardState: { term: 2, vote: '', commit: 0 }, entries: entriesWithTerms([1, 1, 2]) } }, n2: {}, n3: {} });
    net.deliver(message({ type: 'vote', from: 'n2', to: 'n1', term: 5, index: lastIndex, logTerm: lastTerm }));
    const answers = net.take().filter((m) => m.type === 'voteResp');
    expect(answers).toHaveLength(1);
    expect(answers[0]!.reject).toBe(!granted);
    expect(net.core('n1').status().vote).toBe(granted ? 'n2' : '');
  });

  it('§5.4.1 a node that missed committed entries cannot become leader; the up-to-date node wins', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const cluster = new SimCluster({ seed, nodes: 3 });
      const leader = cluster.waitForLeader();
      const [stale, current] = cluster.ids().filter((id) => id !== leader.id) as [string, string];
      cluster.network.isolate(stale);
      cluster.runFor(20);
      for (let i = 0; i < 10; i++) cluster.propose(`while-${stale}-away-${i}`);
      cluster.runFor(50);
      expect(cluster.committedCommands(current)).toHaveLength(10);
      const termBefore = cluster.node(current).store.hardState.term;
      cluster.crash(leader.id);
      cluster.network.heal();
      cluster.runFor(2000); // plenty of election timeouts for the stale node to try
      const after = cluster.invariants.leaders().filter(([term]) => term > termBefore);
      expect(after.length).toBeGreaterThan(0);
      expect(after.every(([, id]) => id === current)).toBe(true);
      cluster.restart(leader.id);
      cluster.runFor(300);
      for (const id of cluster.ids()) expect(cluster.committedCommands(id)).toHaveLength(10);
    }
  });

  it('§5.4.2 (Figure 8) an entry of an older term on a majority is not committed until an entry of the leader\'s term is', () => {
    // Figure 8 (c): s1 led term 2 and got entry 2 only to itself; s5 led term 3 and wrote its own
    // entry 2; now s1 leads term 4 (s5 is down) and re-replicates its term-2 entry.
    const one = entriesWithTerms([1]);
    const net = new ManualNet({
      s1: { initial: { hardState: { term: 3, vote: '', commit: 1 }, entries: entriesWithTerms([1, 2]) }, config: { maxSizePerMsg: 0 } },
      s2: { initial: { hardState: { term: 3, vote: '', commit: 1 }, entries: one } },
      s3: { initial: { hardState: { term: 3, vote: '', commit: 1 }, entries: one } },
      s4: { initial: { hardState: { term: 3, vote: '', commit: 1 }, entries: one } },
      s5: { initial: { hardState: { term: 3, vote: 's5', commit: 1 }, entries: entriesWithTerms([1, 3]) } },
    });
    net.down.add('s5');
    // Appends that would give a follower the term-4 entry (index 3) are lost; everything else,
    // the term-2 entry and the probes that find where the logs diverge, gets through.
    net.filter = (m: Message) => m.type === 'app' && m.entries.some((e) => e.index >= 3) && net.store(m.to).term(m.index) === m.logTerm;
    net.core('s1').campaign();
    net.settle();
    expect(net.core('s1').status()).toMatchObject({ role: 'leader', term: 4 });
    net.tickAll(3);
    for (const id of ['s2', 's3', 's4']) expect(net.log(id)).toEqual([[1, 1], [2, 2]]);
    // Four of five servers store (2, term 2), yet it must not commit: s5 could still overwrite it.
    expect(net.core('s1').status().commit).toBe(1);
    for (const id of ['s2', 's3', 's4']) expect(net.core(id).status().commit).toBe(1);
    // Once the term-4 entry reaches a majority, both commit together.
    net.filter = undefined;
    net.core('s1').propose(new TextEncoder().encode('term-4 command'));
    net.settle();
    net.tickAll(1);
    expect(net.core('s1').status().commit).toBe(4);
    expect(net.applied.get('s2')!.map((e) => [e.index, e.term])).toEqual([[1, 1], [2, 2], [3, 4], [4, 4]]);
  });

  it('§5.4.3 every write a client saw acknowledged survives five leader crashes in a row', () => {
    const cluster = new SimCluster({ seed: 8, nodes: 5, snapshotEvery: 7 });
    cluster.waitForLeader();
    cluster.startClients(3, 200, { putRatio: 0.7, thinkMs: 10 });
    for (let round = 0; round < 5; round++) {
      cluster.runFor(300);
      const leader = cluster.waitForLeader();
      cluster.crash(leader.id);
      cluster.runFor(300);
      cluster.restart(leader.id);
    }
    for (const c of cluster.clients) c.stop();
    expect(cluster.settle()).toBe(true);
    const verdict = cluster.verify();
    expect(verdict.problems).toEqual([]);
    expect(cluster.history().filter((op) => op.ret !== undefined).length).toBeGreaterThan(100);
  });
});
