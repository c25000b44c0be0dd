import { describe, expect, it } from 'vitest';
import { RaftCore, defaultRaftConfig } from './raft-core.ts';
import { EMPTY_HARD_STATE, type ConfState, type Entry, type Message, type NodeId } from './types.ts';

/** A tiny lock-step harness: every node's Ready is handled in full, messages delivered in order. */
class Net {
  readonly nodes = new Map<NodeId, RaftCore>();
  readonly applied = new Map<NodeId, Entry[]>();
  readonly cut = new Set<NodeId>();
  private queue: Message[] = [];
  constructor(ids: NodeId[], seed = 1) {
    let s = seed;
    const random = () => ((s = (s * 16807) % 2147483647) / 2147483647);
    const conf: ConfState = { voters: ids, learners: [], addresses: Object.fromEntries(ids.map((id) => [id, `${id}:1`])) };
    for (const id of ids) {
      this.nodes.set(id, new RaftCore(defaultRaftConfig(id, random), { hardState: EMPTY_HARD_STATE, conf, entries: [], applied: 0 }));
      this.applied.set(id, []);
    }
  }
  settle(): void {
    for (let round = 0; round < 1000; round++) {
      let busy = false;
      for (const [id, n] of this.nodes) {
        while (n.hasReady()) {
          busy = true;
          const rd = n.ready();
          this.queue.push(...rd.messagesBeforePersist, ...rd.messages);
          this.applied.get(id)!.push(...rd.committedEntries.filter((e) => e.data.byteLength > 0));
          n.advance();
        }
      }
      const q = this.queue;
      this.queue = [];
      for (const m of q) {
        if (this.cut.has(m.from) || this.cut.has(m.to)) continue;
        busy = true;
        this.nodes.get(m.to)?.step(m);
      }
      if (!busy) return;
    }
    throw new Error('did not settle');
  }
  tick(times: number): void {
    for (let i = 0; i < times; i++) {
      for (const n of this.nodes.values()) n.tick();
      this.settle();
    }
  }
  leader(): RaftCore | undefined {
    return [...this.nodes.values()].find((n) => n.status().role === 'leader' && !this.cut.has(n.id));
  }
}

const bytes = (s: string) => new TextEncoder().encode(s);

describe('RaftCore', () => {
  it('elects one leader and replicates a proposal to every node (§5.2, §5.3)', () => {
    const net = new Net(['n1', 'n2', 'n3']);
    net.tick(30);
    const leader = net.leader()!;
    expect(leader).toBeDefined();
    leader.propose(bytes('x'));
    net.settle();
    net.tick(2);
    for (const id of ['n1', 'n2', 'n3']) expect(net.applied.get(id)!.map((e) => new TextDecoder().decode(e.data))).toEqual(['x']);
  });

  it('elects a new leader when the old one is cut off, and the old one steps down (CheckQuorum)', () => {
    const net = new Net(['n1', 'n2', 'n3'], 7);
    net.tick(30);
    const old = net.leader()!;
    net.cut.add(old.id);
    net.tick(40);
    const fresh = net.leader()!;
    expect(fresh.id).not.toBe(old.id);
    expect(old.status().role).not.toBe('leader');
    net.cut.delete(old.id);
    fresh.propose(bytes('after'));
    net.tick(5);
    expect(net.applied.get(old.id)!.map((e) => new TextDecoder().decode(e.data))).toEqual(['after']);
  });

  it('answers a ReadIndex on a follower at the commit index', () => {
    const net = new Net(['n1', 'n2', 'n3'], 3);
    net.tick(30);
    const leader = net.leader()!;
    leader.propose(bytes('a'));
    net.settle();
    const follower = [...net.nodes.values()].find((n) => n !== leader)!;
    follower.readIndex(bytes('r1'));
    const states: number[] = [];
    for (let i = 0; i < 10 && states.length === 0; i++) {
      for (const n of net.nodes.values()) n.tick();
      for (const [id, n] of net.nodes) {
        while (n.hasReady()) {
          const rd = n.ready();
          if (id === follower.id) states.push(...rd.readStates.map((r) => r.index));
          for (const m of [...rd.messagesBeforePersist, ...rd.messages]) net.nodes.get(m.to)!.step(m);
          n.advance();
        }
      }
    }
    expect(states).toEqual([leader.status().commit]);
  });

  it('transfers leadership to a chosen follower (thesis §3.10)', () => {
    const net = new Net(['n1', 'n2', 'n3'], 11);
    net.tick(30);
    const leader = net.leader()!;
    const target = ['n1', 'n2', 'n3'].find((id) => id !== leader.id)!;
    leader.transferLeadership(target);
    net.settle();
    net.tick(2);
    expect(net.leader()!.id).toBe(target);
  });
});
