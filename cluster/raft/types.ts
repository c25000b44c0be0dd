/**
 * Data types of the Raft core. The core is a pure state machine in the style of etcd-io/raft:
 * it never touches disks, sockets, timers or loggers. A driver feeds it ticks and messages,
 * takes a {@link Ready} batch out of it, persists, sends and applies, then calls `advance()`.
 *
 * Indexes and terms are plain numbers (safe up to 2^53, far beyond any realistic log).
 */

/** A cluster member's stable identifier, e.g. `n1`. */
export type NodeId = string;

/** Kinds of entries in the replicated log. */
export type EntryType = 'normal' | 'conf';

/** One log entry. `data` is opaque to the core, except for `conf` entries (see {@link ConfChange}). */
export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

/** State that must reach stable storage before any message that depends on it is sent. */
export interface HardState {
  term: number;
  /** The candidate voted for in `term`, or '' for none. */
  vote: NodeId;
  commit: number;
}

/** Cluster membership. Addresses travel with membership so snapshots carry them too. */
export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
  /** Network address (host:port) of every member, voters and learners. */
  addresses: Record<NodeId, string>;
}

/** A single-server membership change, carried JSON-encoded in a `conf` entry. */
export interface ConfChange {
  type: 'addLearner' | 'promote' | 'remove';
  nodeId: NodeId;
  /** Required for `addLearner`. */
  address?: string;
}

export interface SnapshotMetadata {
  index: number;
  term: number;
  conf: ConfState;
}

/** A state-machine snapshot covering every entry up to `metadata.index`. */
export interface Snapshot {
  metadata: SnapshotMetadata;
  data: Uint8Array;
}

export type MessageType =
  | 'app' // leader -> follower: entries after (index, logTerm); carries commit
  | 'appResp' // follower -> leader: success (index = last matched) or reject (rejectHint, logTerm)
  | 'vote'
  | 'voteResp'
  | 'preVote'
  | 'preVoteResp'
  | 'heartbeat' // leader -> follower: commit, optional read context
  | 'heartbeatResp'
  | 'snap' // leader -> follower: whole snapshot (the transport chunks it on the wire)
  | 'snapStatus' // local only: the transport reports whether sending a snapshot succeeded
  | 'unreachable' // local only: the transport could not reach `from`
  | 'readIndex' // follower -> leader: asks for a read index for `context`
  | 'readIndexResp' // leader -> follower: `index` is safe to read at for `context`
  | 'timeoutNow' // leader -> transferee: start an election now (leadership transfer)
  | 'transferLeader'; // local or forwarded: ask the leader to hand leadership to `from`

/** One Raft message. Fields not used by a type are 0, '' or empty. */
export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  /** app: term of the entry at `index`; vote/preVote: term of the candidate's last entry; appResp reject: term at rejectHint. */
  logTerm: number;
  /** app: index preceding `entries`; vote/preVote: candidate's last index; appResp: match index or rejected index; readIndexResp: read index. */
  index: number;
  entries: Entry[];
  commit: number;
  reject: boolean;
  /** appResp reject: the follower's hint for where the leader should probe next. */
  rejectHint: number;
  snapshot?: Snapshot;
  /** readIndex / heartbeat: opaque request context echoed back. vote: 'transfer' marks a forced campaign. */
  context: Uint8Array;
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state worth reporting (not persisted). */
export interface SoftState {
  leader: NodeId;
  role: Role;
}

/** A read request that became safe: once `applied >= index`, the read for `context` is linearizable. */
export interface ReadState {
  index: number;
  context: Uint8Array;
}

/**
 * Everything the driver must do, in order: persist `snapshot`, `entries` and `hardState`
 * (fsync); then send `messages`; then apply `snapshot` and `committedEntries`; then call
 * `advance()`. Read states are released once applied has reached their index.
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  snapshot?: Snapshot;
  entries: Entry[];
  committedEntries: Entry[];
  /**
   * Appends and heartbeats of a leader whose term is already on disk. They may be sent before
   * this Ready is persisted, so the leader writes its log in parallel with its followers
   * (thesis §10.2.1): the leader's own entries count towards a commit only after advance().
   */
  messagesBeforePersist: Message[];
  /** Messages to send only after this Ready is persisted (votes and acknowledgements promise it). */
  messages: Message[];
  readStates: ReadState[];
}

/** Tunables of the core. Times are counted in ticks; the driver decides how long a tick is. */
export interface RaftConfig {
  id: NodeId;
  /** Ticks without hearing from a leader before a follower campaigns; randomized in [n, 2n). */
  electionTick: number;
  heartbeatTick: number;
  /** Use the PreVote phase (thesis 9.6) so a partitioned node cannot disrupt the cluster. */
  preVote: boolean;
  /** A leader steps down when it has not heard from a quorum within an election timeout. */
  checkQuorum: boolean;
  /** Maximum bytes of entry data in one `app` message. */
  maxSizePerMsg: number;
  /** Maximum `app` messages in flight to one follower before waiting for acknowledgements. */
  maxInflightMsgs: number;
  /** Maximum bytes of uncommitted entries the leader accepts before refusing proposals. */
  maxUncommittedBytes: number;
  /** Seeded source of randomness in [0, 1), used for election timeouts. */
  random: () => number;
}

/** What the core is started from: the contents of stable storage (all empty for a new node). */
export interface InitialState {
  hardState: HardState;
  /** Membership used when there is no snapshot yet (the bootstrap configuration). */
  conf: ConfState;
  snapshot?: Snapshot;
  /** Entries after the snapshot, contiguous. */
  entries: Entry[];
  /** Index already applied to the state machine (0 or the snapshot index after a restart). */
  applied: number;
}

/** Reported by `status()`. */
export interface RaftStatus {
  id: NodeId;
  role: Role;
  term: number;
  leader: NodeId;
  vote: NodeId;
  commit: number;
  applied: number;
  lastIndex: number;
  firstIndex: number;
  conf: ConfState;
  /** Leader only: replication progress per member. */
  progress: Record<NodeId, { match: number; next: number; state: 'probe' | 'replicate' | 'snapshot'; recentActive: boolean }>;
  leadTransferee: NodeId;
}

export const EMPTY_HARD_STATE: HardState = { term: 0, vote: '', commit: 0 };

/** Builds a message with every unused field at its zero value. */
export function message(fields: Partial<Message> & Pick<Message, 'type' | 'from' | 'to'>): Message {
  return {
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: EMPTY_BYTES,
    ...fields,
  };
}

export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);
