import { NotLeaderError, ProposalDroppedError } from '../../cluster/raft/errors.ts';
import { RaftCore } from '../../cluster/raft/raft-core.ts';
import { type ConfState, type Message, type NodeId, type RaftConfig, type Ready, type Role, type Snapshot } from '../../cluster/raft/types.ts';
import type { InvariantChecker } from './invariant-checker.ts';
import { KvStateMachine, decodeCommand, encodeCommand, type KvCommand } from './kv-state-machine.ts';
import { SimStore } from './sim-store.ts';

/** How a node answers a client. Nodes that are down never answer. */
export type NodeReply =
  | { ok: true; value: string | null }
  | { ok: false; error: 'notLeader'; leaderHint: NodeId }
  | { ok: false; error: 'dropped' };

/** What a node needs from the simulation around it. */
export interface SimNodeEnv {
  /** Hands messages to the network. */
  send(messages: Message[]): void;
  /** The node died on its own (a torn write). */
  crashed(): void;
  invariants: InvariantChecker;
  /** Builds this node's Raft config for one incarnation. */
  config(id: NodeId): RaftConfig;
  /** Membership used when the store holds no snapshot. */
  bootstrap: ConfState;
  /** Take an application snapshot every this many applied entries (0: never). */
  snapshotEvery: number;
  /** Serve reads from local state without ReadIndex (the unsafe `stale` mode; for showing the checker catches it). */
  staleReads: boolean;
}

/**
 * One simulated server: a {@link RaftCore} driven like a real driver (persist, then send, then
 * apply, then advance), a {@link SimStore} that survives crashes, a key-value state machine,
 * and the client requests waiting on it. A crash throws away everything but the store.
 */
export class SimNode {
  readonly store = new SimStore();
  core: RaftCore | undefined;
  kv = new KvStateMachine();
  /** Index of the last entry applied to `kv`. */
  applied = 0;
  private appliedTerm = 0;
  private lastSnapshotIndex = 0;
  private role: Role = 'follower';
  private leader: NodeId = '';
  private writes = new Map<string, (reply: NodeReply) => void>();
  private reads = new Map<string, { key: string; index: number | undefined; reply: (r: NodeReply) => void }>();
  private readSeq = 0;
  /** Local reports (unreachable peers) to step into the core once the current Ready is done. */
  private reports: Message[] = [];
  private processing = false;
  /** Incarnation number, bumped by every restart. */
  incarnation = 0;
  /** Set by a test to make the next Ready's write torn: the node dies in the middle of it. */
  tearNextWrite: number | undefined;

  constructor(
    readonly id: NodeId,
    private readonly env: SimNodeEnv,
  ) {}

  isUp(): boolean {
    return this.core !== undefined;
  }

  /** Role as last reported by the core ('follower' while down). */
  currentRole(): Role {
    return this.core === undefined ? 'follower' : this.role;
  }

  /** The leader this node believes in ('' when none or down). */
  knownLeader(): NodeId {
    return this.core === undefined ? '' : this.leader;
  }

  /** The core, which must be up. */
  raft(): RaftCore {
    if (this.core === undefined) throw new Error(`node ${this.id} is down`);
    return this.core;
  }

  /** Starts (or restarts) the node from its store. */
  start(): void {
    if (this.core !== undefined) throw new Error(`node ${this.id} is already up`);
    this.incarnation++;
    const initial = this.store.initialState(this.env.bootstrap);
    this.kv = new KvStateMachine();
    if (this.store.snapshot !== undefined) this.kv.restore(this.store.snapshot.data);
    this.applied = initial.applied;
    this.appliedTerm = this.store.snapshot?.metadata.term ?? 0;
    this.lastSnapshotIndex = this.applied;
    this.role = 'follower';
    this.leader = '';
    this.env.invariants.onRestart(this.id, this.applied, initial.hardState.commit);
    this.core = new RaftCore(this.env.config(this.id), initial);
    this.process();
  }

  /** Loses all volatile state: the core, the state machine, waiting requests. */
  crash(): void {
    this.core = undefined;
    this.store.loseUnsynced();
    this.writes = new Map();
    this.reads = new Map();
    this.reports = [];
    this.tearNextWrite = undefined;
  }

  tick(): void {
    if (this.core === undefined) return;
    this.core.tick();
    this.process();
  }

  /** Delivers a message from the network. */
  receive(m: Message): void {
    if (this.core === undefined) return;
    this.core.step(m);
    this.process();
  }

  /** Runs `fn` against the core (a test poking it directly), then handles whatever it produced. */
  act<T>(fn: (core: RaftCore) => T): T {
    const result = fn(this.raft());
    this.process();
    return result;
  }

  /**
   * A local report from the transport ('unreachable', 'snapStatus'). Reports that arrive while
   * a Ready is being handled wait until it is done, as a driver's event loop would make them.
   */
  report(m: Message): void {
    if (this.core === undefined) return;
    if (this.processing) {
      this.reports.push(m);
      return;
    }
    this.core.step(m);
    this.process();
  }

  /** A client write: proposed here if this node leads, answered once applied here. */
  put(command: KvCommand, reply: (r: NodeReply) => void): void {
    const core = this.core;
    if (core === undefined) return;
    try {
      core.propose(encodeCommand(command));
    } catch (err) {
      if (err instanceof NotLeaderError) return reply({ ok: false, error: 'notLeader', leaderHint: err.leaderId });
      if (err instanceof ProposalDroppedError) return reply({ ok: false, error: 'dropped' });
      throw err;
    }
    this.writes.set(`${command.clientId}/${command.seq}`, reply);
    this.process();
  }

  /** A client read through ReadIndex: answered once this node has applied up to the read index. */
  get(key: string, reply: (r: NodeReply) => void): void {
    const core = this.core;
    if (core === undefined) return;
    if (this.env.staleReads) return reply({ ok: true, value: this.kv.get(key) });
    const context = `${this.id}#${this.incarnation}#${++this.readSeq}`;
    try {
      core.readIndex(new TextEncoder().encode(context));
    } catch (err) {
      if (err instanceof NotLeaderError) return reply({ ok: false, error: 'notLeader', leaderHint: err.leaderId });
      throw err;
    }
    this.reads.set(context, { key, index: undefined, reply });
    this.process();
  }

  /** Handles every pending Ready: persist, send, apply, advance; then compaction and local reports. */
  process(): void {
    if (this.processing) return;
    this.processing = true;
    try {
      for (;;) {
        const core = this.core;
        if (core === undefined || !core.hasReady()) break;
        const rd = core.ready();
        // A leader's appends leave before its own write, as in the real driver.
        this.env.send(rd.messagesBeforePersist);
        if (this.tearNextWrite !== undefined) {
          this.store.persist(rd, this.tearNextWrite);
          this.crash();
          this.env.crashed();
          break;
        }
        this.handle(rd);
        core.advance();
        this.answerReads();
        this.maybeCompact(core);
        const reports = this.reports;
        this.reports = [];
        for (const m of reports) core.step(m);
      }
    } finally {
      this.processing = false;
    }
  }

  private handle(rd: Ready): void {
    this.store.persist(rd);
    if (rd.hardState !== undefined) this.env.invariants.onHardState(this.id, rd.hardState);
    if (rd.softState !== undefined) {
      this.role = rd.softState.role;
      this.leader = rd.softState.leader;
      if (rd.softState.role === 'leader') this.env.invariants.onLeader(this.id, this.store.hardState.term, this.store);
    }
    this.env.send(rd.messages);
    if (rd.snapshot !== undefined) this.applySnapshot(rd.snapshot);
    for (const e of rd.committedEntries) {
      if (e.index <= this.applied) continue;
      const command = e.type === 'normal' && e.data.byteLength > 0 ? decodeCommand(e.data) : undefined;
      if (command !== undefined) {
        const result = this.kv.apply(command);
        const waiter = this.writes.get(`${result.clientId}/${result.seq}`);
        if (waiter !== undefined) {
          this.writes.delete(`${result.clientId}/${result.seq}`);
          waiter({ ok: true, value: result.previous });
        }
      }
      this.applied = e.index;
      this.appliedTerm = e.term;
      this.env.invariants.onApply(this.id, e, this.kv.fingerprint());
    }
    for (const rs of rd.readStates) {
      const read = this.reads.get(new TextDecoder().decode(rs.context));
      if (read !== undefined) read.index = rs.index;
    }
  }

  private applySnapshot(snapshot: Snapshot): void {
    this.kv.restore(snapshot.data);
    this.applied = snapshot.metadata.index;
    this.appliedTerm = snapshot.metadata.term;
    this.lastSnapshotIndex = snapshot.metadata.index;
    this.env.invariants.onSnapshot(this.id, snapshot.metadata.index, snapshot.metadata.term, this.kv.fingerprint());
  }

  private answerReads(): void {
    for (const [context, read] of this.reads) {
      if (read.index === undefined || read.index > this.applied) continue;
      this.reads.delete(context);
      read.reply({ ok: true, value: this.kv.get(read.key) });
    }
  }

  private maybeCompact(core: RaftCore): void {
    const every = this.env.snapshotEvery;
    if (every <= 0 || this.applied - this.lastSnapshotIndex < every) return;
    const snapshot: Snapshot = {
      metadata: { index: this.applied, term: this.appliedTerm, conf: core.status().conf },
      data: this.kv.snapshot(),
    };
    core.compact(snapshot);
    this.store.compact(snapshot);
    this.lastSnapshotIndex = this.applied;
  }
}
