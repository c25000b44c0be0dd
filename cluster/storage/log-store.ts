import type { Entry, HardState, Snapshot } from '../raft/types.ts';

/** Everything stable storage holds, as read back when a node starts. */
export interface PersistedState {
  /** EMPTY_HARD_STATE for a new node. */
  hardState: HardState;
  /** Latest durable snapshot, if any. */
  snapshot?: Snapshot;
  /** Contiguous entries after the snapshot index (or from index 1 without a snapshot). */
  entries: Entry[];
}

/**
 * Stable storage of one Raft node (the hashicorp/raft `LogStore` + `SnapshotStore` port, in the
 * shape of etcd's WAL + snap packages). Calls are serialized internally: a `save` issued while
 * another is in flight starts after it, so callers may fire them without awaiting in between.
 * Entries handed in or out are treated as immutable.
 */
export interface LogStore {
  /**
   * Reads everything back at start. Truncates a torn tail; throws StorageError
   * (cluster/raft/errors.ts) with a message naming the file and offset on corruption elsewhere.
   */
  load(): Promise<PersistedState>;
  /**
   * Durably appends entries and/or a new hard state, in one call, and resolves only after fsync.
   * A hard state that changes only the commit index is written without fsync (etcd's MustSync):
   * after a crash the node may restart with an older commit index, never a newer term or vote.
   * An entry whose index is <= the last stored index replaces that index and everything after it
   * (Raft log truncation). Either argument may be empty/undefined.
   */
  save(hardState: HardState | undefined, entries: Entry[]): Promise<void>;
  /**
   * Durably stores a snapshot, then drops log entries with index <= snapshot.metadata.index.
   * Entries after it stay when the log holds the snapshot's last entry (same index and term);
   * otherwise the log conflicts with the snapshot and is discarded whole (Raft paper, section 7).
   * A snapshot not newer than the stored one is ignored.
   */
  saveSnapshot(snapshot: Snapshot): Promise<void>;
  /** Waits for pending writes, then releases files. Later calls reject. */
  close(): Promise<void>;
}
