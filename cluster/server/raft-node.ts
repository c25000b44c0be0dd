import { timingSafeEqual, createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { CommandRejectedError, NotLeaderError, ProposalDroppedError } from '../raft/errors.ts';
import { isMember } from '../raft/membership.ts';
import { RaftCore } from '../raft/raft-core.ts';
import type { ConfState, Entry, Message, NodeId, RaftConfig, Ready, Snapshot } from '../raft/types.ts';
import type { LogStore } from '../storage/log-store.ts';
import { parseCommand } from '../state/commands.ts';
import { StateMachine, encodeProposal, type StateObserver } from '../state/state-machine.ts';
import type { ClusterBackend, NodeStatus, ProposeRequest, QueryRequest, Transport, TransportHandler } from './backend.ts';
import { abortable, waitFor } from './waiters.ts';

/** Everything a {@link RaftNode} needs, passed in (no module state). */
export interface RaftNodeOptions {
  id: NodeId;
  clusterId: string;
  address: string;
  raft: RaftConfig;
  tickMs: number;
  /** Take a snapshot and compact the log every this many applied entries. */
  snapshotEntries: number;
  store: LogStore;
  /** The membership to start from when storage holds none (a new cluster), or an empty one to join. */
  bootstrap: ConfState;
  logger: Logger;
  adminToken: string;
  now: () => number;
  /** Addresses to dial peers at, from this node's configuration; they override the addresses in the membership. */
  peerAddresses: Record<NodeId, string>;
  /** Creates the transport once the node can receive (it is the transport's handler). */
  transport: (handler: TransportHandler) => Transport;
  /** Told of state changes as this node applies entries, and of leader changes (the node's metrics). */
  observer?: RaftObserver;
}

/** Told of changes on this node only (the node's metrics). */
export interface RaftObserver extends StateObserver {
  /** The leader this node sees became another node (the first leader seen counts); `leader` is its id. */
  leaderChanged?(leader: string): void;
}

interface Waiter {
  term: number;
  resolve: (result: string) => void;
  reject: (error: Error) => void;
}

interface PendingRead {
  resolve: (index: number) => void;
  reject: (error: Error) => void;
}

/**
 * The driver of one Raft member: it owns every side effect of the pure {@link RaftCore}, in the
 * order Raft needs: send a leader's appends (they promise nothing about its own disk), persist
 * (fsync) entries and hard state, then send the other messages, then apply committed entries to
 * the state machine and answer waiting clients.
 */
export class RaftNode implements ClusterBackend, TransportHandler {
  private readonly core: RaftCore;
  private readonly sm: StateMachine;
  private readonly transport: Transport;
  private readonly log: Logger;
  private readonly waiters = new Map<number, Waiter>();
  private readBatch: PendingRead[] = [];
  private readonly readsInFlight = new Map<string, PendingRead[]>();
  private readonly appliedWaiters: Array<{ index: number; resolve: () => void }> = [];
  private readonly changeListeners = new Set<() => void>();
  private readCounter = 0;
  private appliedIndex = 0;
  private appliedTerm = 0;
  private snapshotIndex = 0;
  private pumping = false;
  private stopped = false;
  private fatal: Error | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private readonly warnedPeers = new Set<string>();
  /** The last leader this node saw ('' before the first), to tell the observer of changes. */
  private lastLeader = '';

  private constructor(
    private readonly opts: RaftNodeOptions,
    initial: Awaited<ReturnType<LogStore['load']>>,
  ) {
    this.log = opts.logger.child({ component: 'raft' });
    this.sm = new StateMachine(opts.observer);
    const snap = initial.snapshot;
    if (snap) {
      this.sm.restore(snap.data);
      this.appliedIndex = this.snapshotIndex = snap.metadata.index;
      this.appliedTerm = snap.metadata.term;
    }
    this.core = new RaftCore(opts.raft, {
      hardState: initial.hardState,
      conf: opts.bootstrap,
      snapshot: snap,
      entries: initial.entries,
      applied: this.appliedIndex,
    });
    this.transport = opts.transport(this);
    this.updatePeers(this.core.status().conf);
  }

  /** Loads storage and starts ticking. */
  static async start(opts: RaftNodeOptions): Promise<RaftNode> {
    const initial = await opts.store.load();
    const node = new RaftNode(opts, initial);
    node.ticker = setInterval(() => node.input(() => node.core.tick()), opts.tickMs);
    node.log.info({ term: initial.hardState.term, entries: initial.entries.length, snapshot: node.snapshotIndex }, 'raft node started');
    node.schedule();
    return node;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.ticker);
    const closed = new ProposalDroppedError('this node is shutting down; retry on another node');
    for (const w of this.waiters.values()) w.reject(closed);
    this.waiters.clear();
    this.failReads(closed);
    await this.transport.close();
    while (this.pumping) await new Promise((r) => setTimeout(r, 5));
    await this.opts.store.close();
  }

  // ---- TransportHandler ------------------------------------------------------------------

  receive(m: Message): void {
    const conf = this.core.membership();
    const known = conf.voters.length + conf.learners.length === 0 || isMember(conf, m.from);
    if (!known) {
      if (!this.warnedPeers.has(m.from)) {
        this.warnedPeers.add(m.from);
        this.log.warn({ from: m.from }, 'ignoring raft traffic from a node that is not a member of this cluster');
      }
      return;
    }
    this.input(() => this.core.step(m));
  }

  unreachable(peer: NodeId): void {
    this.input(() => this.core.step({ type: 'unreachable', from: peer, to: this.opts.id, term: 0, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, context: new Uint8Array(0) }));
  }

  snapshotSent(peer: NodeId, ok: boolean): void {
    this.input(() => this.core.step({ type: 'snapStatus', from: peer, to: this.opts.id, term: 0, logTerm: 0, index: 0, entries: [], commit: 0, reject: !ok, rejectHint: 0, context: new Uint8Array(0) }));
  }

  // ---- ClusterBackend --------------------------------------------------------------------

  status(): NodeStatus {
    const s = this.core.status();
    const learner = s.conf.learners.includes(this.opts.id);
    return {
      id: this.opts.id,
      address: this.opts.address,
      clusterId: this.opts.clusterId,
      role: learner ? 'learner' : s.role,
      term: s.term,
      commitIndex: s.commit,
      appliedIndex: this.appliedIndex,
      leaderId: s.leader,
      leaderAddress: s.conf.addresses[s.leader] ?? '',
      conf: s.conf,
      modelVersion: this.sm.currentVersion ?? '',
    };
  }

  async propose(request: ProposeRequest, signal: AbortSignal): Promise<string> {
    this.checkRunning();
    // Refuse a malformed command before it reaches the log (the state machine checks again on apply).
    const command = parseCommand(parseJson(request.command, 'command'));
    const data = encodeProposal({ clientId: request.clientId, seq: request.seq, at: this.opts.now(), command });
    let placed!: { index: number; term: number };
    this.input(() => {
      placed = this.core.propose(data);
    });
    return abortable(
      new Promise<string>((resolve, reject) => this.waiters.set(placed.index, { term: placed.term, resolve, reject })),
      signal,
      () => this.waiters.delete(placed.index),
    );
  }

  async query(request: QueryRequest, signal: AbortSignal): Promise<string> {
    this.checkRunning();
    const query = parseJson(request.query, 'query');
    if (!request.stale) {
      const index = await abortable(new Promise<number>((resolve, reject) => {
        this.readBatch.push({ resolve, reject });
        this.schedule();
      }), signal);
      await this.waitApplied(index, signal);
    }
    return JSON.stringify(this.sm.query(query) ?? null);
  }

  async addNode(nodeId: NodeId, address: string, signal: AbortSignal): Promise<ConfState> {
    await this.changeConf({ type: 'addLearner', nodeId, address }, signal);
    // Catch the learner up before it gets a vote, so the cluster never waits on it to commit.
    await waitFor(() => {
      const pr = this.core.status().progress[nodeId];
      return pr !== undefined && pr.match >= this.core.status().commit;
    }, (l) => this.onChange(l), signal);
    await this.changeConf({ type: 'promote', nodeId }, signal);
    return this.core.status().conf;
  }

  async removeNode(nodeId: NodeId, signal: AbortSignal): Promise<ConfState> {
    const s = this.core.status();
    if (nodeId === this.opts.id && s.role === 'leader') {
      // Hand leadership over first, then let the client retry on the new leader.
      const next = s.conf.voters.filter((id) => id !== nodeId).sort((a, b) => (s.progress[b]?.match ?? 0) - (s.progress[a]?.match ?? 0))[0];
      if (next) {
        await this.transferLeadership(next, signal);
        const now = this.core.status();
        throw new NotLeaderError(now.leader, now.conf.addresses[now.leader] ?? '');
      }
    }
    await this.changeConf({ type: 'remove', nodeId }, signal);
    return this.core.status().conf;
  }

  async transferLeadership(nodeId: NodeId, signal: AbortSignal): Promise<void> {
    this.checkRunning();
    this.input(() => this.core.transferLeadership(nodeId));
    await waitFor(() => this.core.status().leader === nodeId, (l) => this.onChange(l), signal);
  }

  isAdmin(token: string): boolean {
    const a = createHash('sha256').update(token).digest();
    const b = createHash('sha256').update(this.opts.adminToken).digest();
    return this.opts.adminToken.length > 0 && timingSafeEqual(a, b);
  }

  /** The raw core status (for tests and metrics). */
  raftStatus() {
    return this.core.status();
  }

  // ---- the loop --------------------------------------------------------------------------

  /** Runs a core mutation, rethrowing its error to the caller, then schedules a pump. */
  private input(fn: () => void): void {
    if (this.stopped) return;
    try {
      fn();
    } finally {
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.pumping || this.stopped) return;
    this.pumping = true;
    setImmediate(() => {
      this.pump()
        .catch((error: unknown) => this.crash(error))
        .finally(() => {
          this.pumping = false;
          if (!this.stopped && (this.core.hasReady() || this.readBatch.length > 0)) this.schedule();
        });
    });
  }

  private async pump(): Promise<void> {
    this.submitReads();
    while (!this.stopped && this.core.hasReady()) {
      const rd = this.core.ready();
      if (rd.messagesBeforePersist.length > 0) this.transport.send(rd.messagesBeforePersist);
      if (rd.snapshot) await this.opts.store.saveSnapshot(rd.snapshot);
      if (rd.hardState || rd.entries.length > 0) await this.opts.store.save(rd.hardState, rd.entries);
      if (rd.messages.length > 0) this.transport.send(rd.messages);
      this.apply(rd);
      this.core.advance();
      this.submitReads();
      await this.maybeSnapshot();
    }
    for (const l of this.changeListeners) l();
  }

  private apply(rd: Ready): void {
    if (rd.softState) {
      this.log.info({ role: rd.softState.role, leader: rd.softState.leader, term: this.core.status().term }, 'raft role changed');
      if (rd.softState.role !== 'leader') this.failReads(new NotLeaderError(rd.softState.leader, this.core.status().conf.addresses[rd.softState.leader] ?? ''));
      if (rd.softState.leader !== '' && rd.softState.leader !== this.lastLeader) {
        this.lastLeader = rd.softState.leader;
        this.opts.observer?.leaderChanged?.(rd.softState.leader);
      }
    }
    if (rd.snapshot) {
      this.sm.restore(rd.snapshot.data);
      this.appliedIndex = this.snapshotIndex = rd.snapshot.metadata.index;
      this.appliedTerm = rd.snapshot.metadata.term;
      this.updatePeers(rd.snapshot.metadata.conf);
      this.log.info({ index: this.appliedIndex }, 'installed snapshot from the leader');
    }
    for (const e of rd.committedEntries) this.applyEntry(e);
    for (const rs of rd.readStates) {
      const key = Buffer.from(rs.context).toString('latin1');
      const batch = this.readsInFlight.get(key);
      this.readsInFlight.delete(key);
      for (const r of batch ?? []) r.resolve(rs.index);
    }
    for (let i = this.appliedWaiters.length - 1; i >= 0; i--) {
      const w = this.appliedWaiters[i]!;
      if (w.index <= this.appliedIndex) {
        this.appliedWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  private applyEntry(e: Entry): void {
    this.appliedIndex = e.index;
    this.appliedTerm = e.term;
    let result = 'null';
    let failure: Error | undefined;
    if (e.type === 'conf') {
      this.updatePeers(this.core.status().conf);
      this.log.info({ index: e.index, conf: this.core.status().conf }, 'membership changed');
    } else if (e.data.byteLength > 0) {
      const r = this.sm.apply(e.index, e.data);
      if (r.ok) result = JSON.stringify(r.value ?? null);
      else failure = new CommandRejectedError(r.error.message, r.error.code === 'stale_sequence' ? 'failed_precondition' : r.error.code);
    }
    const w = this.waiters.get(e.index);
    if (!w) return;
    this.waiters.delete(e.index);
    if (w.term !== e.term) w.reject(new ProposalDroppedError('leadership changed before the write committed; retry'));
    else if (failure) w.reject(failure);
    else w.resolve(result);
  }

  /** Starts one ReadIndex round for every read that arrived since the last one (batching). */
  private submitReads(): void {
    if (this.readBatch.length === 0) return;
    const batch = this.readBatch;
    this.readBatch = [];
    const context = Buffer.from(`${this.opts.id}:${++this.readCounter}`, 'latin1');
    try {
      this.core.readIndex(context);
      this.readsInFlight.set(context.toString('latin1'), batch);
    } catch (error) {
      for (const r of batch) r.reject(this.withLeaderHint(error as Error));
    }
  }

  private failReads(error: Error): void {
    for (const batch of this.readsInFlight.values()) for (const r of batch) r.reject(error);
    this.readsInFlight.clear();
  }

  private async maybeSnapshot(): Promise<void> {
    if (this.appliedIndex - this.snapshotIndex < this.opts.snapshotEntries) return;
    const snapshot: Snapshot = {
      metadata: { index: this.appliedIndex, term: this.appliedTerm, conf: this.core.status().conf },
      data: this.sm.snapshot(),
    };
    await this.opts.store.saveSnapshot(snapshot);
    this.core.compact(snapshot);
    this.snapshotIndex = snapshot.metadata.index;
    this.log.info({ index: snapshot.metadata.index, bytes: snapshot.data.byteLength }, 'snapshot taken, log compacted');
  }

  private async changeConf(cc: Parameters<RaftCore['proposeConfChange']>[0], signal: AbortSignal): Promise<void> {
    this.checkRunning();
    let placed!: { index: number; term: number };
    this.input(() => {
      placed = this.core.proposeConfChange(cc);
    });
    await abortable(
      new Promise<string>((resolve, reject) => this.waiters.set(placed.index, { term: placed.term, resolve, reject })),
      signal,
      () => this.waiters.delete(placed.index),
    );
  }

  private waitApplied(index: number, signal: AbortSignal): Promise<void> {
    if (this.appliedIndex >= index) return Promise.resolve();
    return abortable(new Promise<void>((resolve) => this.appliedWaiters.push({ index, resolve })), signal);
  }

  private updatePeers(conf: ConfState): void {
    const addresses: Record<NodeId, string> = { ...conf.addresses };
    Object.assign(addresses, this.opts.peerAddresses);
    delete addresses[this.opts.id];
    this.transport.setPeers(addresses);
  }

  /** Calls `listener` after each round of the loop (entries applied, role or leader changed, at least once per tick); returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private withLeaderHint(error: Error): Error {
    if (!(error instanceof NotLeaderError)) return error;
    const s = this.core.status();
    return new NotLeaderError(s.leader, s.conf.addresses[s.leader] ?? '');
  }

  private checkRunning(): void {
    if (this.fatal) throw new ProposalDroppedError(`this node stopped serving after a storage failure: ${this.fatal.message}`);
    if (this.stopped) throw new ProposalDroppedError('this node is shutting down; retry on another node');
  }

  private crash(error: unknown): void {
    // A failed fsync leaves the durable state unknown: stop taking part rather than risk safety.
    this.fatal = error instanceof Error ? error : new Error(String(error));
    this.log.fatal({ err: this.fatal }, 'raft loop failed; the node stops serving');
    void this.stop();
  }
}

function parseJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CommandRejectedError(`${field} is not valid JSON`);
  }
}
