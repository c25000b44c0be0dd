/**
 * Linearizable reads (Raft paper §8, thesis §6.4) and the production bug of stale reads from a
 * deposed leader: a leader cut off from the majority may still believe it leads while a new
 * leader accepts writes. ReadIndex only answers after a quorum confirmed the leadership in the
 * current term, so the old leader (and followers behind it) can never answer with old data.
 */
import { describe, expect, it } from 'vitest';
import type { Message } from '../../cluster/raft/types.ts';
import { ManualNet, text } from '../support/manual-net.ts';
import { SimCluster } from '../support/sim-cluster.ts';
import type { NodeReply, SimNode } from '../support/sim-node.ts';

function write(cluster: SimCluster, node: SimNode, seq: number, value: string): void {
  let done = false;
  node.put({ clientId: 'writer', seq, op: { type: 'put', key: 'x', value } }, (r) => {
    expect(r.ok).toBe(true);
    done = true;
  });
  expect(cluster.runUntil(() => done, 1000)).toBe(true);
}

describe('stale reads from a deposed leader (§8 / thesis §6.4)', () => {
  it('an old leader cut off from the majority never answers a read with the value it knows', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const cluster = new SimCluster({ seed, nodes: 3 });
      const old = cluster.waitForLeader();
      write(cluster, old, 1, 'old');
      cluster.network.isolate(old.id);
      expect(old.currentRole()).toBe('leader'); // still believes it leads
      const answers: NodeReply[] = [];
      old.get('x', (r) => answers.push(r));
      const fresh = cluster.waitForLeader(3000, old.id);
      write(cluster, fresh, 2, 'new');
      cluster.runFor(1000);
      expect(answers).toEqual([]);
      cluster.network.heal();
      cluster.runFor(500);
      expect(answers.filter((r) => r.ok && r.value === 'old')).toEqual([]);
      // Asked again after it rejoined, the old leader (now a follower) reads the new value.
      old.get('x', (r) => answers.push(r));
      cluster.runFor(100);
      expect(answers.at(-1)).toEqual({ ok: true, value: 'new' });
    }
  });

  it('a follower on the minority side cannot serve a read through the deposed leader either', () => {
    const cluster = new SimCluster({ seed: 4, nodes: 5 });
    const old = cluster.waitForLeader();
    write(cluster, old, 1, 'old');
    const buddy = cluster.ids().find((id) => id !== old.id)!;
    cluster.network.partition([old.id, buddy], cluster.ids().filter((id) => id !== old.id && id !== buddy));
    const answers: NodeReply[] = [];
    cluster.node(buddy).get('x', (r) => answers.push(r));
    const fresh = cluster.waitForLeader(3000, old.id);
    write(cluster, fresh, 2, 'new');
    cluster.runFor(1000);
    expect(answers.filter((r) => r.ok)).toEqual([]);
  });

  it('serving reads from local state (the opt-in stale mode) does return the old value: the hazard ReadIndex prevents', () => {
    const cluster = new SimCluster({ seed: 1, nodes: 3, staleReads: true });
    const old = cluster.waitForLeader();
    write(cluster, old, 1, 'old');
    cluster.network.isolate(old.id);
    const fresh = cluster.waitForLeader(3000, old.id);
    write(cluster, fresh, 2, 'new');
    const answers: NodeReply[] = [];
    old.get('x', (r) => answers.push(r));
    cluster.runFor(10);
    expect(answers).toEqual([{ ok: true, value: 'old' }]);
  });

  it('a new leader answers a read only after it has committed an entry of its own term', () => {
    const net = new ManualNet({ n1: {}, n2: {}, n3: {} });
    net.core('n1').campaign();
    // Let the election through, but hold back the appends carrying the new leader's first entry.
    const held: Message[] = [];
    for (let batch = net.take(); batch.length > 0; batch = net.take()) {
      for (const m of batch) {
        if (m.type === 'app') held.push(m);
        else net.deliver(m);
      }
    }
    expect(net.core('n1').status().role).toBe('leader');
    net.core('n1').readIndex(text('r1'));
    net.settle();
    expect(net.readStates.get('n1')).toEqual([]);
    for (const m of held) net.deliver(m);
    net.settle();
    const commit = net.core('n1').status().commit;
    expect(commit).toBeGreaterThan(0);
    expect(net.readStates.get('n1')).toEqual([{ index: commit, context: text('r1') }]);
  });
});
