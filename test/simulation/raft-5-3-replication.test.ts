/**
 * Raft paper §5.3 (log replication): the leader appends commands to its log, replicates them,
 * and commits an entry once a majority stores it; the consistency check makes followers'
 * logs identical to the leader's, overwriting conflicting suffixes (Figure 7). The follower's
 * rejection hint lets the leader skip a whole divergent term per round trip (fast backtracking,
 * §5.3 "if desired, the protocol can be optimized").
 */
import { describe, expect, it } from 'vitest';
import { message, type Message } from '../../cluster/raft/types.ts';
import { ManualNet, entriesWithTerms, text } from '../support/manual-net.ts';
import { SimCluster } from '../support/sim-cluster.ts';

describe('§5.3 log replication', () => {
  it('every node commits the leader\'s entries in the order it proposed them', () => {
    const cluster = new SimCluster({ seed: 3, nodes: 5 });
    cluster.waitForLeader();
    const proposed = Array.from({ length: 20 }, (_, i) => `cmd-${i}`);
    for (const p of proposed) cluster.propose(p);
    cluster.runFor(200);
    for (const id of cluster.ids()) expect(cluster.committedCommands(id)).toEqual(proposed);
  });

  it('with drops, duplicates and reordering, every write a client saw acknowledged is applied once, everywhere', () => {
    const cluster = new SimCluster({ seed: 5, nodes: 3, faults: { minDelayMs: 1, maxDelayMs: 10, dropRate: 0.1, duplicateRate: 0.1, reorderRate: 0.3, reorderExtraMs: 30 } });
    cluster.startClients(3, 40, { putRatio: 1 });
    expect(cluster.settle(20_000)).toBe(true);
    const verdict = cluster.verify();
    expect(verdict.problems).toEqual([]);
    const writes = cluster.history().filter((op) => op.input.kind === 'put' && op.ret !== undefined);
    expect(writes).toHaveLength(120);
    // Each write's value shows up exactly once as some later write's "previous value", or is the final value.
    const finals = new Set(cluster.node('n1').kv.entries().map(([, v]) => v));
    const previous = cluster.history().map((op) => op.output).filter((v): v is string => typeof v === 'string');
    for (const w of writes) {
      const value = (w.input as { value: string }).value;
      expect(previous.filter((p) => p === value).length + (finals.has(value) ? 1 : 0)).toBe(1);
    }
  });

  it('an entry commits once a majority stores it, and not before', () => {
    const net = new ManualNet({ n1: {}, n2: {}, n3: {}, n4: {}, n5: {} });
    net.core('n1').campaign();
    net.settle();
    const commitBefore = net.core('n1').status().commit;
    const { index } = net.core('n1').propose(text('needs-three'));
    const appends = net.take().filter((m) => m.type === 'app');
    expect(appends.map((m) => m.to)).toEqual(['n2', 'n3', 'n4', 'n5']);
    net.deliver(appends[0] as Message); // n2 stores it
    net.settle();
    expect(net.store('n2').lastIndex()).toBe(index); // on n1 and n2: two of five
    expect(net.core('n1').status().commit).toBe(commitBefore);
    net.deliver(appends[1] as Message); // n3 stores it: three of five
    net.settle();
    expect(net.core('n1').status().commit).toBe(index);
    expect(net.core('n2').status().commit).toBe(index); // the leader tells followers at once
  });

  it('the leader sends its appends before its own write, and counts itself only once the write is done (thesis §10.2.1)', () => {
    const net = new ManualNet({ n1: {}, n2: {}, n3: {} });
    net.core('n1').campaign();
    net.settle();
    const leader = net.core('n1');
    const { index } = leader.propose(text('parallel'));
    const rd = leader.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([index]); // still to be written by n1
    const appends = rd.messagesBeforePersist;
    expect(appends.map((m) => [m.type, m.to])).toEqual([['app', 'n2'], ['app', 'n3']]);
    expect(rd.messages.some((m) => m.type === 'app')).toBe(false);
    // n2 stores the entry and answers while n1's own write is still in progress.
    net.deliver(appends[0] as Message);
    const ack = net.take().find((m) => m.type === 'appResp' && m.to === 'n1');
    leader.step(ack as Message);
    expect(leader.status().commit).toBeLessThan(index); // n1 + n2 would be a majority, but n1 has not written it
    leader.advance(); // n1's write is done
    expect(leader.status().commit).toBe(index);
  });

  it('a leader whose new term is not yet on disk sends nothing before writing it', () => {
    // A single voter wins at once, in the same Ready as its term change; its learner's append must
    // wait, or a crash before the write could let it lead the same term twice.
    const conf = { voters: ['n1'], learners: ['n2'], addresses: { n1: 'n1:1', n2: 'n2:1' } };
    const net = new ManualNet({ n1: { initial: { conf } }, n2: { initial: { conf } } });
    net.core('n1').campaign();
    const rd = net.core('n1').ready();
    expect(net.core('n1').status().role).toBe('leader');
    expect(rd.hardState?.term).toBe(1);
    expect(rd.messagesBeforePersist).toEqual([]);
    expect(rd.messages.some((m) => m.type === 'app' && m.to === 'n2')).toBe(true);
  });

  // Without new proposals, the heartbeat response is what makes the leader notice the gap: it
  // sends an append the follower rejects, drops back to probe and resends the lost entries.
  it('the leader retries a lost append on its own: the entry commits without any further proposal', () => {
    const net = new ManualNet({ n1: {}, n2: {}, n3: {} });
    net.core('n1').campaign();
    net.settle();
    net.filter = (m) => m.type === 'app' && m.entries.length > 0;
    const { index } = net.core('n1').propose(text('lost-once'));
    net.settle();
    net.filter = undefined; // the network is perfect from now on
    net.tickAll(30); // three election timeouts of heartbeats
    expect(net.core('n1').status().commit).toBe(index);
  });

  // Figure 7: the leader of term 8 and six possible follower logs (terms of entries 1..N).
  const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const figure7: Record<string, number[]> = {
    a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
    b: [1, 1, 1, 4],
    c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
    d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
    e: [1, 1, 1, 4, 4, 4, 4],
    f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
  };

  it.each(Object.entries(figure7))('Figure 7 (%s): the new leader makes the follower\'s log identical to its own in few round trips', (_, followerLog) => {
    const net = new ManualNet({
      n1: { initial: { hardState: { term: 8, vote: '', commit: 0 }, entries: entriesWithTerms(leaderLog) } },
      n2: { initial: { hardState: { term: Math.max(...followerLog), vote: '', commit: 0 }, entries: entriesWithTerms(followerLog) } },
      n3: {},
    });
    net.core('n1').campaign(); // wins with n3's vote even where n2's log is longer or newer
    net.settle();
    expect(net.core('n1').status().role).toBe('leader');
    net.tickAll(1);
    expect(net.log('n2')).toEqual(net.log('n1'));
    expect(net.log('n1').map(([, term]) => term)).toEqual([...leaderLog, 9]);
    expect(net.core('n2').status().commit).toBe(leaderLog.length + 1);
    expect(net.count('appResp', { from: 'n2', reject: true })).toBeLessThanOrEqual(2);
  });

  it('fast backtracking: a follower whose 500 extra entries span two stale terms needs two rejections, not 500', () => {
    const net = new ManualNet({
      n1: { initial: { hardState: { term: 5, vote: '', commit: 10 }, entries: entriesWithTerms([...Array(10).fill(1), ...Array(200).fill(4)]) } },
      n2: { initial: { hardState: { term: 3, vote: '', commit: 10 }, entries: entriesWithTerms([...Array(10).fill(1), ...Array(300).fill(2), ...Array(200).fill(3)]) } },
      n3: { initial: { hardState: { term: 5, vote: '', commit: 10 }, entries: entriesWithTerms([...Array(10).fill(1), ...Array(200).fill(4)]) } },
    });
    net.core('n1').campaign();
    net.settle();
    net.tickAll(1);
    expect(net.log('n2')).toEqual(net.log('n1'));
    expect(net.count('appResp', { from: 'n2', reject: true })).toBeLessThanOrEqual(2);
    expect(net.count('app', { to: 'n2' })).toBeLessThanOrEqual(5);
  });

  it('fast backtracking in a running cluster: a deposed leader with 100 orphan entries catches up in a handful of messages', () => {
    const cluster = new SimCluster({ seed: 21, nodes: 3 });
    const old = cluster.waitForLeader();
    for (let i = 0; i < 5; i++) cluster.propose(`base-${i}`);
    cluster.runFor(50);
    cluster.network.isolate(old.id);
    for (let i = 0; i < 100; i++) old.act((core) => core.propose(text(`orphan-${i}`)));
    cluster.runUntil(() => cluster.leader() !== undefined && cluster.leader()!.id !== old.id, 3000);
    for (let i = 0; i < 100; i++) cluster.propose(`new-${i}`);
    cluster.runFor(100);
    const toOld: Message[] = [];
    cluster.network.onDeliver((m) => {
      if (m.to === old.id && m.type === 'app') toOld.push(m);
    });
    const rejections: Message[] = [];
    cluster.network.onDeliver((m) => {
      if (m.from === old.id && m.type === 'appResp' && m.reject) rejections.push(m);
    });
    cluster.network.heal();
    const leader = cluster.leader()!;
    expect(cluster.runUntil(() => old.applied === leader.raft().status().commit, 1000)).toBe(true);
    expect(cluster.committedCommands(old.id)).toEqual(cluster.committedCommands(leader.id));
    expect(rejections.length).toBeLessThanOrEqual(2);
    expect(toOld.length).toBeLessThanOrEqual(6);
  });

  it('a follower ignores an append whose previous entry it does not have, and says where to resume', () => {
    const net = new ManualNet({ n1: { initial: { hardState: { term: 2, vote: '', commit: 0 }, entries: entriesWithTerms([1, 1, 2]) } }, n2: {}, n3: {} });
    net.deliver(message({ type: 'app', from: 'n2', to: 'n1', term: 3, index: 7, logTerm: 3, entries: entriesWithTerms([3], 8), commit: 0 }));
    expect(net.core('n1').status().lastIndex).toBe(3);
    const [resp] = net.take();
    expect(resp).toMatchObject({ type: 'appResp', reject: true, rejectHint: 3, logTerm: 2 });
  });
});
