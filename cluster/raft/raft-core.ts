import { ConfChangeError, NotLeaderError, ProposalDroppedError } from './errors.ts';
import { applyConfChange, decodeConfChange, encodeConfChange, isVoter, quorum, validateConfChange } from './membership.ts';
import { Progress } from './progress.ts';
import { RaftLog } from './raft-log.ts';
import { ReadOnly } from './read-only.ts';
import {
  EMPTY_BYTES,
  message,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type InitialState,
  type Message,
  type NodeId,
  type RaftConfig,
  type RaftStatus,
  type ReadState,
  type Ready,
  type Role,
  type Snapshot,
  type SoftState,
} from './types.ts';

const TRANSFER_CONTEXT = new TextEncoder().encode('transfer');

/** Defaults for a production cluster; the driver decides the tick length (50 ms by default). */
export function defaultRaftConfig(id: NodeId, random: () => number): RaftConfig {
  return {
    id,
    electionTick: 10,
    heartbeatTick: 1,
    preVote: true,
    checkQuorum: true,
    maxSizePerMsg: 1 << 20,
    maxInflightMsgs: 256,
    maxUncommittedBytes: 64 << 20,
    random,
  };
}

/**
 * The Raft consensus algorithm as a pure, deterministic state machine (etcd-io/raft style).
 * No I/O, timers or logging: see {@link Ready} for the driver's contract.
 */
export class RaftCore {
  readonly id: NodeId;
  private readonly cfg: RaftConfig;
  private readonly log: RaftLog;
  private term: number;
  private vote: NodeId;
  private role: Role = 'follower';
  private lead: NodeId = '';
  private conf: ConfState;
  private progress = new Map<NodeId, Progress>();
  private votes = new Map<NodeId, boolean>();
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private leadTransferee: NodeId = '';
  private pendingConfIndex = 0;
  private uncommittedBytes = 0;
  private readonly readOnly = new ReadOnly();
  /** ReadIndex requests that arrived before the leader committed an entry of its term. */
  private pendingReads: Message[] = [];
  private msgs: Message[] = [];
  private readStates: ReadState[] = [];
  private needBroadcast = false;
  private prevHard: HardState;
  private prevSoft: SoftState;
  private outstanding: { stableIndex: number; stableTerm: number; applied: number; snapshot: boolean } | undefined;

  constructor(config: RaftConfig, initial: InitialState) {
    this.cfg = config;
    this.id = config.id;
    this.log = new RaftLog(initial.snapshot, initial.entries, initial.hardState.commit, initial.applied);
    this.term = initial.hardState.term;
    this.vote = initial.hardState.vote;
    this.conf = structuredClone(initial.snapshot ? initial.snapshot.metadata.conf : initial.conf);
    // Conf entries that are committed but not yet applied are re-applied when handed out again.
    this.prevHard = this.hardState();
    this.becomeFollower(this.term, '');
    this.prevSoft = this.softState();
  }

  // ---- inputs ------------------------------------------------------------------------------

  /** One logical clock tick. */
  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  /** Starts an election now (subject to PreVote). */
  campaign(): void {
    if (!this.promotable()) return;
    this.startCampaign(this.cfg.preVote ? 'preCandidate' : 'candidate', false);
  }

  /** Appends a command to the leader's log and returns where it will commit. */
  propose(data: Uint8Array): { index: number; term: number } {
    this.checkCanPropose();
    return this.appendEntry('normal', data);
  }

  proposeConfChange(cc: ConfChange): { index: number; term: number } {
    this.checkCanPropose();
    if (this.pendingConfIndex > this.log.applied) {
      throw new ConfChangeError('another membership change is still being applied; retry when it completes');
    }
    const problem = validateConfChange(this.conf, cc);
    if (problem) throw new ConfChangeError(problem);
    if (cc.type === 'promote') {
      const pr = this.progress.get(cc.nodeId);
      if (!pr || pr.match < this.log.committed) {
        throw new ConfChangeError(`learner ${cc.nodeId} has not caught up yet (match ${pr?.match ?? 0}, commit ${this.log.committed}); retry shortly`);
      }
    }
    const result = this.appendEntry('conf', encodeConfChange(cc));
    this.pendingConfIndex = result.index;
    return result;
  }

  /** Requests a linearizable read point for `context` (thesis §6.4); answered through `ready().readStates`. */
  readIndex(context: Uint8Array): void {
    if (this.role === 'leader') {
      this.leaderReadIndex(message({ type: 'readIndex', from: this.id, to: this.id, context }));
      return;
    }
    if (!this.lead) throw new NotLeaderError('', '');
    this.send(message({ type: 'readIndex', from: this.id, to: this.lead, context }));
  }

  /** Hands leadership to `to` (thesis §3.10). On a follower the request is forwarded to the leader. */
  transferLeadership(to: NodeId): void {
    if (this.role !== 'leader') {
      if (!this.lead) throw new NotLeaderError('', '');
      this.send(message({ type: 'transferLeader', from: this.id, to: this.lead, context: new TextEncoder().encode(to) }));
      return;
    }
    this.handleTransfer(to);
  }

  /** Delivers a message from a peer, or a local report ('unreachable', 'snapStatus'). */
  step(m: Message): void {
    if (m.term > this.term && m.term !== 0) {
      if (m.type === 'vote' || m.type === 'preVote') {
        const force = equalBytes(m.context, TRANSFER_CONTEXT);
        const inLease = this.cfg.checkQuorum && this.lead !== '' && this.electionElapsed < this.cfg.electionTick;
        if (!force && inLease) return; // §4.2.3: ignore disruptive candidates while a leader is alive
      }
      if (m.type === 'preVote' || (m.type === 'preVoteResp' && !m.reject)) {
        // PreVote traffic never changes our term (thesis §9.6).
      } else if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, '');
      }
    } else if (m.term < this.term && m.term !== 0) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'heartbeat' || m.type === 'app')) {
        // A stale leader learns the new term and steps down.
        this.send(message({ type: 'appResp', from: this.id, to: m.from, term: this.term }));
      } else if (m.type === 'preVote') {
        this.send(message({ type: 'preVoteResp', from: this.id, to: m.from, term: this.term, reject: true }));
      }
      return;
    }

    if (m.type === 'vote' || m.type === 'preVote') {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        break;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        break;
      case 'follower':
        this.stepFollower(m);
        break;
    }
  }

  // ---- ready / advance -------------------------------------------------------------------

  hasReady(): boolean {
    if (this.outstanding) return false;
    if (this.needBroadcast) return true;
    if (this.msgs.length > 0 || this.readStates.length > 0 || this.log.pendingSnapshot) return true;
    if (this.log.stableIndex < this.log.lastIndex()) return true;
    if (this.log.committed > this.log.applied) return true;
    if (!hardStateEqual(this.hardState(), this.prevHard)) return true;
    const soft = this.softState();
    return soft.leader !== this.prevSoft.leader || soft.role !== this.prevSoft.role;
  }

  ready(): Ready {
    if (this.outstanding) throw new Error('ready() called again before advance()');
    if (this.needBroadcast) {
      this.needBroadcast = false;
      if (this.role === 'leader') this.broadcastAppend();
    }
    const hard = this.hardState();
    const termOnDisk = hard.term === this.prevHard.term && hard.vote === this.prevHard.vote;
    const early = termOnDisk && this.role === 'leader' ? this.msgs.filter((m) => m.type === 'app' || m.type === 'heartbeat') : [];
    const rd: Ready = {
      entries: this.log.unstable(),
      committedEntries: this.log.pendingSnapshot ? [] : this.log.nextCommitted(),
      messagesBeforePersist: early,
      messages: early.length === 0 ? this.msgs : this.msgs.filter((m) => m.type !== 'app' && m.type !== 'heartbeat'),
      readStates: this.readStates,
    };
    this.msgs = [];
    this.readStates = [];
    const soft = this.softState();
    if (soft.leader !== this.prevSoft.leader || soft.role !== this.prevSoft.role) {
      rd.softState = soft;
      this.prevSoft = soft;
    }
    if (!hardStateEqual(hard, this.prevHard)) {
      rd.hardState = hard;
      this.prevHard = hard;
    }
    if (this.log.pendingSnapshot) rd.snapshot = this.log.pendingSnapshot;
    // Membership changes take effect as they are handed out for applying.
    for (const e of rd.committedEntries) if (e.type === 'conf') this.applyConf(e);
    const last = rd.entries[rd.entries.length - 1];
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    this.outstanding = {
      stableIndex: last ? last.index : 0,
      stableTerm: last ? last.term : 0,
      applied: rd.snapshot ? rd.snapshot.metadata.index : lastApplied ? lastApplied.index : this.log.applied,
      snapshot: rd.snapshot !== undefined,
    };
    return rd;
  }

  /** The driver has persisted, sent and applied the last Ready. */
  advance(): void {
    const o = this.outstanding;
    if (!o) return;
    this.outstanding = undefined;
    if (o.snapshot) this.log.pendingSnapshot = undefined;
    if (o.stableIndex > 0) this.log.stableTo(o.stableIndex, o.stableTerm);
    this.log.applied = Math.max(this.log.applied, o.applied);
    if (this.role === 'leader' && this.progress.get(this.id)?.maybeUpdate(this.log.stableIndex) && this.maybeCommit()) {
      this.needBroadcast = true;
    }
    if (this.role === 'leader' && this.pendingReads.length > 0 && this.committedInTerm()) {
      const reads = this.pendingReads;
      this.pendingReads = [];
      for (const m of reads) this.leaderReadIndex(m);
    }
  }

  /** Compacts the log up to an application snapshot taken at an applied index. */
  compact(snapshot: Snapshot): void {
    this.log.compact(snapshot);
  }

  /** Current membership (do not modify). Cheaper than status() on hot paths. */
  membership(): Readonly<ConfState> {
    return this.conf;
  }

  status(): RaftStatus {
    const progress: RaftStatus['progress'] = {};
    if (this.role === 'leader') {
      for (const [id, pr] of this.progress) {
        progress[id] = { match: pr.match, next: pr.next, state: pr.state, recentActive: pr.recentActive };
      }
    }
    return {
      id: this.id,
      role: this.role,
      term: this.term,
      leader: this.lead,
      vote: this.vote,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      firstIndex: this.log.firstIndex(),
      conf: structuredClone(this.conf),
      progress,
      leadTransferee: this.leadTransferee,
    };
  }

  // ---- roles -----------------------------------------------------------------------------

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = '';
    }
    this.lead = '';
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTick + Math.floor(this.cfg.random() * this.cfg.electionTick);
    this.leadTransferee = '';
    this.votes = new Map();
    this.pendingConfIndex = 0;
    this.uncommittedBytes = 0;
    this.readOnly.clear();
    this.pendingReads = [];
    this.needBroadcast = false;
    this.progress = new Map();
  }

  private becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.role = 'follower';
    this.lead = lead;
  }

  private startCampaign(kind: 'preCandidate' | 'candidate', transfer: boolean): void {
    let voteTerm: number;
    if (kind === 'preCandidate') {
      // Like a candidate, but without touching term or vote (thesis §9.6).
      const term = this.term;
      const vote = this.vote;
      this.reset(term);
      this.vote = vote;
      this.role = 'preCandidate';
      voteTerm = term + 1;
    } else {
      this.reset(this.term + 1);
      this.role = 'candidate';
      this.vote = this.id;
      voteTerm = this.term;
    }
    this.votes.set(this.id, true);
    if (this.tally() === 'won') {
      if (kind === 'preCandidate') this.startCampaign('candidate', transfer);
      else this.becomeLeader();
      return;
    }
    for (const id of this.conf.voters) {
      if (id === this.id) continue;
      this.send(
        message({
          type: kind === 'preCandidate' ? 'preVote' : 'vote',
          from: this.id,
          to: id,
          term: voteTerm,
          index: this.log.lastIndex(),
          logTerm: this.log.lastTerm(),
          context: transfer ? TRANSFER_CONTEXT : EMPTY_BYTES,
        }),
      );
    }
  }

  private becomeLeader(): void {
    const term = this.term;
    this.reset(term);
    this.role = 'leader';
    this.lead = this.id;
    for (const id of [...this.conf.voters, ...this.conf.learners]) {
      const pr = new Progress(this.log.lastIndex() + 1, this.cfg.maxInflightMsgs, this.conf.learners.includes(id));
      pr.recentActive = true;
      if (id === this.id) {
        // The leader's own log counts towards a quorum only once it is on disk (see advance()).
        pr.match = this.log.stableIndex;
        pr.becomeReplicate();
      }
      this.progress.set(id, pr);
    }
    // Any unapplied membership change must apply before another may be proposed.
    this.pendingConfIndex = this.log.lastIndex();
    // An empty entry of the new term lets earlier entries commit (§5.4.2) and enables ReadIndex.
    this.appendEntry('normal', EMPTY_BYTES);
  }

  private promotable(): boolean {
    return isVoter(this.conf, this.id) && !this.log.pendingSnapshot;
  }

  // ---- timers ----------------------------------------------------------------------------

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.campaign();
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTick) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) {
        if (!this.quorumActive()) {
          this.becomeFollower(this.term, '');
          return;
        }
      }
      if (this.leadTransferee) this.leadTransferee = ''; // the transfer timed out
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat(this.readOnly.lastContext() ?? EMPTY_BYTES);
    }
  }

  /** CheckQuorum: did a quorum of voters talk to us during the last election timeout? */
  private quorumActive(): boolean {
    let active = 0;
    for (const id of this.conf.voters) {
      const pr = this.progress.get(id);
      if (!pr) continue;
      if (id === this.id || pr.recentActive) active++;
      if (id !== this.id) pr.recentActive = false;
    }
    return active >= quorum(this.conf.voters.length);
  }

  // ---- elections -------------------------------------------------------------------------

  private handleVoteRequest(m: Message): void {
    const pre = m.type === 'preVote';
    const canVote = this.vote === m.from || (this.vote === '' && this.lead === '') || (pre && m.term > this.term);
    const respType = pre ? 'preVoteResp' : 'voteResp';
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      this.send(message({ type: respType, from: this.id, to: m.from, term: m.term }));
      if (!pre) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send(message({ type: respType, from: this.id, to: m.from, term: this.term, reject: true }));
    }
  }

  private tally(): 'won' | 'lost' | 'pending' {
    let granted = 0;
    let rejected = 0;
    for (const id of this.conf.voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    const q = quorum(this.conf.voters.length);
    if (granted >= q) return 'won';
    if (rejected > this.conf.voters.length - q) return 'lost';
    return 'pending';
  }

  private stepCandidate(m: Message): void {
    const respType = this.role === 'preCandidate' ? 'preVoteResp' : 'voteResp';
    switch (m.type) {
      case 'app':
      case 'heartbeat':
      case 'snap':
        this.becomeFollower(m.term, m.from);
        this.stepFollower(m);
        return;
      case 'preVoteResp':
      case 'voteResp': {
        if (m.type !== respType) return;
        this.votes.set(m.from, !m.reject);
        const result = this.tally();
        if (result === 'won') {
          if (this.role === 'preCandidate') this.startCampaign('candidate', false);
          else this.becomeLeader();
        } else if (result === 'lost') {
          this.becomeFollower(this.term, '');
        }
        return;
      }
      case 'timeoutNow':
        return;
      default:
        return;
    }
  }

  // ---- follower --------------------------------------------------------------------------

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'app':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
        this.send(message({ type: 'heartbeatResp', from: this.id, to: m.from, term: this.term, context: m.context }));
        return;
      case 'snap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case 'timeoutNow':
        if (this.promotable()) this.startCampaign('candidate', true);
        return;
      case 'readIndexResp':
        this.readStates.push({ index: m.index, context: m.context });
        return;
      case 'transferLeader':
      case 'readIndex':
        if (this.lead) this.send({ ...m, to: this.lead });
        return;
      default:
        return;
    }
  }

  private handleAppend(m: Message): void {
    if (m.index < this.log.committed) {
      this.send(message({ type: 'appResp', from: this.id, to: m.from, term: this.term, index: this.log.committed }));
      return;
    }
    if (this.log.matchTerm(m.index, m.logTerm)) {
      const lastNew = m.entries.length > 0 ? this.log.maybeAppend(m.entries) : m.index;
      this.log.commitTo(Math.min(m.commit, lastNew));
      this.send(message({ type: 'appResp', from: this.id, to: m.from, term: this.term, index: lastNew }));
      return;
    }
    // Fast backtracking: point the leader at the last index whose term could match.
    const hintIndex = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.send(
      message({
        type: 'appResp',
        from: this.id,
        to: m.from,
        term: this.term,
        index: m.index,
        reject: true,
        rejectHint: hintIndex,
        logTerm: this.log.term(hintIndex) ?? 0,
      }),
    );
  }

  private handleSnapshot(m: Message): void {
    const snap = m.snapshot!;
    const { index, term } = snap.metadata;
    if (index <= this.log.committed) {
      this.send(message({ type: 'appResp', from: this.id, to: m.from, term: this.term, index: this.log.committed }));
      return;
    }
    if (this.log.matchTerm(index, term)) {
      // We already have the entries: just move commit forward.
      this.log.commitTo(index);
    } else {
      this.log.restore(snap);
      this.conf = structuredClone(snap.metadata.conf);
    }
    this.send(message({ type: 'appResp', from: this.id, to: m.from, term: this.term, index: this.log.lastIndex() }));
  }

  // ---- leader ----------------------------------------------------------------------------

  private stepLeader(m: Message): void {
    if (m.type === 'readIndex') {
      this.leaderReadIndex(m);
      return;
    }
    if (m.type === 'transferLeader') {
      this.handleTransfer(new TextDecoder().decode(m.context));
      return;
    }
    const pr = this.progress.get(m.from);
    if (!pr) return;
    switch (m.type) {
      case 'appResp':
        pr.recentActive = true;
        this.handleAppendResponse(m, pr);
        return;
      case 'heartbeatResp':
        this.handleHeartbeatResponse(m, pr);
        return;
      case 'snapStatus':
        if (pr.state !== 'snapshot') return;
        if (m.reject) pr.pendingSnapshot = 0;
        pr.becomeProbe();
        // Wait for the follower's answer (or the next heartbeat) before probing again.
        pr.probeSent = true;
        return;
      case 'unreachable':
        if (pr.state === 'replicate') pr.becomeProbe();
        return;
      default:
        return;
    }
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    if (m.reject) {
      const hint = m.logTerm > 0 ? this.log.findConflictByTerm(m.rejectHint, m.logTerm) : m.rejectHint;
      if (pr.maybeDecrTo(m.index, hint)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from, pr);
      }
      return;
    }
    const paused = pr.isPaused();
    if (!pr.maybeUpdate(m.index)) {
      if (paused && !pr.isPaused()) this.sendAppend(m.from, pr);
      return;
    }
    if (pr.state === 'probe') pr.becomeReplicate();
    else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
      pr.becomeProbe();
      pr.becomeReplicate();
    }
    if (this.maybeCommit()) this.needBroadcast = true;
    // Pipelining: keep sending while the in-flight window has room.
    while (pr.next <= this.log.lastIndex() && !pr.isPaused()) {
      if (!this.sendAppend(m.from, pr)) break;
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.send(message({ type: 'timeoutNow', from: this.id, to: m.from, term: this.term }));
    }
  }

  private handleHeartbeatResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    pr.probeSent = false;
    if (pr.state === 'replicate' && pr.inflightCount() >= pr.maxInflight) pr.freeFirstInflight();
    // An append may have been lost: an append that carries nothing new still makes a follower
    // that misses entries reject it, which turns the progress back to probe and resends them.
    if (pr.match < this.log.lastIndex()) this.sendAppend(m.from, pr, true);
    if (m.context.byteLength === 0) return;
    const acks = this.readOnly.ack(m.from, m.context);
    if (!acks) return;
    let voters = 0;
    for (const id of acks) if (isVoter(this.conf, id)) voters++;
    if (voters < quorum(this.conf.voters.length)) return;
    for (const r of this.readOnly.release(m.context)) this.answerRead(r.from, r.index, r.context);
  }

  private leaderReadIndex(m: Message): void {
    if (this.conf.voters.length === 1 && isVoter(this.conf, this.id)) {
      this.answerRead(m.from, this.log.committed, m.context);
      return;
    }
    if (!this.committedInTerm()) {
      // §6.4: the read index must include every entry committed by earlier leaders.
      this.pendingReads.push(m);
      return;
    }
    this.readOnly.add(this.log.committed, m.from, m.context, this.id);
    this.broadcastHeartbeat(m.context);
  }

  private answerRead(from: NodeId, index: number, context: Uint8Array): void {
    if (from === this.id) this.readStates.push({ index, context });
    else this.send(message({ type: 'readIndexResp', from: this.id, to: from, term: this.term, index, context }));
  }

  private committedInTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  private handleTransfer(to: NodeId): void {
    if (to === this.id) return;
    if (!isVoter(this.conf, to)) throw new ConfChangeError(`cannot transfer leadership to ${to}: it is not a voting member`);
    if (this.leadTransferee === to) return;
    this.leadTransferee = to;
    this.electionElapsed = 0;
    const pr = this.progress.get(to)!;
    if (pr.match === this.log.lastIndex()) {
      this.send(message({ type: 'timeoutNow', from: this.id, to, term: this.term }));
    } else {
      this.sendAppend(to, pr);
    }
  }

  private checkCanPropose(): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.lead, this.conf.addresses[this.lead] ?? '');
    if (this.leadTransferee) throw new ProposalDroppedError(`leadership is being transferred to ${this.leadTransferee}; retry shortly`);
  }

  private appendEntry(type: Entry['type'], data: Uint8Array): { index: number; term: number } {
    if (this.uncommittedBytes + data.byteLength > this.cfg.maxUncommittedBytes && data.byteLength > 0) {
      throw new ProposalDroppedError('too many uncommitted writes; retry shortly');
    }
    const entry: Entry = { term: this.term, index: this.log.lastIndex() + 1, type, data };
    this.log.truncateAndAppend([entry]);
    this.uncommittedBytes += data.byteLength;
    this.needBroadcast = true;
    return { index: entry.index, term: entry.term };
  }

  /** Advances commit to the highest index stored on a quorum of voters, if it is of this term (§5.4.2). */
  private maybeCommit(): boolean {
    const matches: number[] = [];
    for (const id of this.conf.voters) matches.push(this.progress.get(id)?.match ?? 0);
    if (matches.length === 0) return false;
    matches.sort((a, b) => b - a);
    const index = matches[quorum(matches.length) - 1]!;
    if (index <= this.log.committed || this.log.term(index) !== this.term) return false;
    for (const e of this.log.slice(this.log.committed + 1, index + 1)) this.uncommittedBytes -= e.data.byteLength;
    if (this.uncommittedBytes < 0) this.uncommittedBytes = 0;
    this.log.commitTo(index);
    return true;
  }

  private broadcastAppend(): void {
    for (const [id, pr] of this.progress) {
      if (id !== this.id) this.sendAppend(id, pr);
    }
  }

  private broadcastHeartbeat(context: Uint8Array): void {
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      this.send(
        message({ type: 'heartbeat', from: this.id, to: id, term: this.term, commit: Math.min(pr.match, this.log.committed), context }),
      );
    }
  }

  /**
   * Sends entries (or a snapshot) to one follower; returns false when nothing could be sent.
   * An append with no new entries and no new commit index is sent only when `sendIfEmpty`.
   */
  private sendAppend(to: NodeId, pr: Progress, sendIfEmpty = false): boolean {
    if (pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === undefined || pr.next < this.log.firstIndex()) {
      const snapshot = this.log.snapshot;
      if (!snapshot) return false;
      pr.becomeSnapshot(snapshot.metadata.index);
      this.send(message({ type: 'snap', from: this.id, to, term: this.term, snapshot }));
      return true;
    }
    const entries = pr.next <= this.log.lastIndex() ? this.log.slice(pr.next, this.log.lastIndex() + 1, this.cfg.maxSizePerMsg) : [];
    if (entries.length === 0 && pr.state === 'replicate' && pr.commitSent >= this.log.committed && !sendIfEmpty) {
      return false; // nothing new: neither entries nor commit index
    }
    const last = entries.length > 0 ? entries[entries.length - 1]!.index : prevIndex;
    this.send(
      message({ type: 'app', from: this.id, to, term: this.term, index: prevIndex, logTerm: prevTerm, entries, commit: this.log.committed }),
    );
    pr.sentEntries(last, entries.length);
    pr.commitSent = Math.max(pr.commitSent, Math.min(this.log.committed, last));
    return true;
  }

  // ---- membership ------------------------------------------------------------------------

  private applyConf(e: Entry): void {
    const cc = decodeConfChange(e.data);
    this.conf = applyConfChange(this.conf, cc);
    if (this.role !== 'leader') return;
    if (cc.type === 'addLearner' && !this.progress.has(cc.nodeId)) {
      const pr = new Progress(this.log.lastIndex() + 1, this.cfg.maxInflightMsgs, true);
      pr.recentActive = true;
      this.progress.set(cc.nodeId, pr);
    } else if (cc.type === 'promote') {
      const pr = this.progress.get(cc.nodeId);
      if (pr) pr.isLearner = false;
    } else if (cc.type === 'remove') {
      this.progress.delete(cc.nodeId);
      if (this.leadTransferee === cc.nodeId) this.leadTransferee = '';
      if (cc.nodeId === this.id) {
        // A removed leader steps down; the remaining voters elect a new one.
        this.becomeFollower(this.term, '');
        return;
      }
    }
    if (this.maybeCommit()) this.needBroadcast = true;
    this.needBroadcast = true;
  }

  // ---- helpers ---------------------------------------------------------------------------

  private send(m: Message): void {
    this.msgs.push(m);
  }

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  private softState(): SoftState {
    return { leader: this.lead, role: this.role };
  }
}

function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
