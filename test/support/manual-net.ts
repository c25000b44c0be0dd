import { RaftCore, defaultRaftConfig } from '../../cluster/raft/raft-core.ts';
import { EMPTY_HARD_STATE, type ConfState, type Entry, type InitialState, type Message, type NodeId, type RaftConfig, type ReadState } from '../../cluster/raft/types.ts';
import { Prng } from '../../gpu-agent/random/prng.ts';
import { SimStore } from './sim-store.ts';

/** How one node of a {@link ManualNet} starts. */
export interface ManualNodeSpec {
  /** Stored log and hard state to start from (a fresh node when omitted). */
  initial?: Partial<InitialState>;
  config?: Partial<Omit<RaftConfig, 'id' | 'random'>>;
}

/**
 * A lock-step harness for paper-style scenarios in the spirit of etcd's raft_paper_test.go:
 * no clock and no delays, the test decides every tick and which messages get through.
 * Each node's Ready is taken in full and persisted to a {@link SimStore} the test can inspect.
 */
export class ManualNet {
  readonly cores = new Map<NodeId, RaftCore>();
  /** Nodes whose traffic (both ways) is dropped. */
  readonly down = new Set<NodeId>();
  /** Every message delivered, in order. */
  readonly delivered: Message[] = [];
  /** Committed entries each node handed out for applying. */
  readonly applied = new Map<NodeId, Entry[]>();
  readonly readStates = new Map<NodeId, ReadState[]>();
  private readonly stores = new Map<NodeId, SimStore>();
  /** Drops a message when it returns true. */
  filter: ((m: Message) => boolean) | undefined;
  private queue: Message[] = [];
  readonly conf: ConfState;

  constructor(specs: Record<NodeId, ManualNodeSpec>, seed = 1) {
    const random = new Prng(seed);
    const ids = Object.keys(specs);
    this.conf = { voters: ids, learners: [], addresses: Object.fromEntries(ids.map((id) => [id, `${id}:1`])) };
    for (const id of ids) {
      const spec = specs[id] as ManualNodeSpec;
      const initial: InitialState = { hardState: { ...EMPTY_HARD_STATE }, conf: this.conf, entries: [], applied: 0, ...spec.initial };
      this.cores.set(id, new RaftCore({ ...defaultRaftConfig(id, random.fork().asFunction()), ...spec.config }, initial));
      this.applied.set(id, []);
      this.readStates.set(id, []);
      const store = new SimStore();
      store.hardState = { ...initial.hardState };
      store.snapshot = initial.snapshot;
      store.entries = initial.entries.slice();
      this.stores.set(id, store);
    }
  }

  core(id: NodeId): RaftCore {
    const core = this.cores.get(id);
    if (core === undefined) throw new Error(`no node ${id}`);
    return core;
  }

  /** Takes every node's pending Ready; their messages join the queue. */
  collect(): void {
    for (const [id, core] of this.cores) {
      while (core.hasReady()) {
        const rd = core.ready();
        this.store(id).persist(rd);
        this.queue.push(...rd.messagesBeforePersist, ...rd.messages);
        this.applied.get(id)?.push(...rd.committedEntries);
        this.readStates.get(id)?.push(...rd.readStates);
        core.advance();
      }
    }
  }

  /** Takes and returns the queued messages without delivering them. */
  take(): Message[] {
    this.collect();
    const q = this.queue;
    this.queue = [];
    return q;
  }

  /** Delivers one message now (even one the test built by hand). */
  deliver(m: Message): void {
    if (this.down.has(m.to) || this.down.has(m.from) || this.filter?.(m)) return;
    const core = this.cores.get(m.to);
    if (core === undefined) return;
    this.delivered.push(m);
    core.step(m);
  }

  /** Delivers messages, and the answers they cause, until the network is quiet. */
  settle(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      const batch = this.take();
      if (batch.length === 0) return;
      for (const m of batch) this.deliver(m);
    }
    throw new Error('the network did not go quiet');
  }

  /** Ticks one node `times` times, settling after each tick. */
  tick(id: NodeId, times = 1): void {
    for (let i = 0; i < times; i++) {
      this.core(id).tick();
      this.settle();
    }
  }

  /** Ticks every up node `times` times, settling after each round. */
  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) {
      for (const [id, core] of this.cores) if (!this.down.has(id)) core.tick();
      this.settle();
    }
  }

  /** Messages of a type delivered so far (optionally only from/to a node). */
  count(type: Message['type'], where: { from?: NodeId; to?: NodeId; reject?: boolean } = {}): number {
    return this.delivered.filter(
      (m) =>
        m.type === type &&
        (where.from === undefined || m.from === where.from) &&
        (where.to === undefined || m.to === where.to) &&
        (where.reject === undefined || m.reject === where.reject),
    ).length;
  }

  /** (index, term) of every entry in a node's stored log, after its snapshot. */
  log(id: NodeId): Array<[number, number]> {
    return this.store(id).entries.map((e) => [e.index, e.term]);
  }

  /** A node's stored log and hard state, as a driver would have persisted them. */
  store(id: NodeId): SimStore {
    const store = this.stores.get(id);
    if (store === undefined) throw new Error(`no node ${id}`);
    return store;
  }
}

/** A log of entries with the given terms, starting at index `from` (default 1), each carrying a small payload. */
export function entriesWithTerms(terms: number[], from = 1, tag = 'e'): Entry[] {
  return terms.map((term, i) => ({ term, index: from + i, type: 'normal', data: new TextEncoder().encode(`${tag}${from + i}@${term}`) }));
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
