/**
 * Raft paper §5.1 (server states and terms): terms act as a logical clock. A server that sees a
 * higher term adopts it and reverts to follower; a request carrying a stale term is rejected,
 * and the stale sender learns the current term from the answer.
 */
import { describe, expect, it } from 'vitest';
import { message, type Message } from '../../cluster/raft/types.ts';
import { ManualNet, entriesWithTerms } from '../support/manual-net.ts';
import { SimCluster } from '../support/sim-cluster.ts';

function threeNodes(): ManualNet {
  return new ManualNet({ n1: {}, n2: {}, n3: {} });
}

function electN1(net: ManualNet): void {
  net.core('n1').campaign();
  net.settle();
  expect(net.core('n1').status().role).toBe('leader');
}

const higherTermAppend = (to: string, from: string, term: number): Message =>
  message({ type: 'app', from, to, term, index: 0, logTerm: 0, entries: [], commit: 0 });

describe('§5.1 terms', () => {
  it.each(['follower', 'candidate', 'leader'] as const)('a %s that sees a higher term adopts it and follows the sender', (role) => {
    const net = threeNodes();
    const n1 = net.core('n1');
    if (role === 'candidate') {
      net.down.add('n3');
      n1.campaign();
      // The pre-vote succeeds with n2; the real vote is left unanswered.
      net.deliver(net.take().find((m) => m.type === 'preVote' && m.to === 'n2') as Message);
      net.deliver(net.take().find((m) => m.type === 'preVoteResp') as Message);
      expect(n1.status().role).toBe('candidate');
      net.take();
    } else if (role === 'leader') {
      electN1(net);
    }
    net.take();
    net.down.clear();
    net.deliver(higherTermAppend('n1', 'n3', 7));
    const status = n1.status();
    expect(status.term).toBe(7);
    expect(status.role).toBe('follower');
    expect(status.leader).toBe('n3');
    // The new term is in the same Ready as the answer, so a driver persists it before replying.
    const rd = n1.ready();
    expect(rd.hardState?.term).toBe(7);
    expect(rd.messages.every((m) => m.term === 7)).toBe(true);
    n1.advance();
  });

  it('a follower rejects an append with a stale term and tells the sender the current term', () => {
    const net = threeNodes();
    net.deliver(higherTermAppend('n1', 'n2', 5));
    net.take();
    const before = net.core('n1').status();
    net.deliver(message({ type: 'app', from: 'n3', to: 'n1', term: 3, index: 0, logTerm: 0, entries: entriesWithTerms([3, 3]), commit: 2 }));
    const after = net.core('n1').status();
    expect(after.lastIndex).toBe(before.lastIndex);
    expect(after.commit).toBe(0);
    expect(after.term).toBe(5);
    expect(after.leader).toBe('n2');
    const answers = net.take();
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ type: 'appResp', to: 'n3', term: 5 });
  });

  it('a stale vote request is not granted and does not change the vote', () => {
    const net = threeNodes();
    net.deliver(higherTermAppend('n1', 'n2', 5));
    net.take();
    net.deliver(message({ type: 'vote', from: 'n3', to: 'n1', term: 4, index: 10, logTerm: 4 }));
    const granted = net.take().filter((m) => m.type === 'voteResp' && !m.reject);
    expect(granted).toEqual([]);
    expect(net.core('n1').status().vote).toBe('');
  });

  it('a leader cut off from the cluster learns the newer term when it returns, and its unreplicated entries never apply', () => {
    const cluster = new SimCluster({ seed: 11, nodes: 3 });
    const old = cluster.waitForLeader();
    const oldTerm = old.store.hardState.term;
    cluster.network.isolate(old.id);
    for (const text of ['orphan-1', 'orphan-2', 'orphan-3']) old.act((core) => core.propose(new TextEncoder().encode(text)));
    const others = cluster.ids().filter((id) => id !== old.id);
    cluster.runUntil(() => { const l = cluster.leader(); return l !== undefined && l.id !== old.id; }, 3000);
    const fresh = cluster.leader();
    expect(fresh?.id).not.toBe(old.id);
    expect(fresh!.store.hardState.term).toBeGreaterThan(oldTerm);
    cluster.propose('after-failover');
    cluster.runFor(100);
    cluster.network.heal();
    cluster.runFor(500);
    expect(old.raft().status().role).toBe('follower');
    expect(old.raft().status().term).toBe(fresh!.raft().status().term);
    for (const id of [old.id, ...others]) {
      const applied = cluster.committedCommands(id);
      expect(applied).toContain('after-failover');
      expect(applied.filter((c) => c.startsWith('orphan'))).toEqual([]);
    }
  });
});
