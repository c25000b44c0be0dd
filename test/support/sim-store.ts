import { EMPTY_HARD_STATE, type ConfState, type Entry, type HardState, type InitialState, type Ready, type Snapshot } from '../../cluster/raft/types.ts';

/**
 * The simulated stable storage of one node: what survives a crash. It takes the persistent
 * parts of a {@link Ready} exactly as a driver's write-ahead log would (snapshot, then entries
 * that may overwrite a suffix, then hard state), and the application's own compaction.
 */
export class SimStore {
  hardState: HardState = { ...EMPTY_HARD_STATE };
  /**
   * The commit index as of the last fsync. A write that changes only the commit index is not
   * fsynced (as FileLogStore does), so a crash may take the node back to this one.
   */
  syncedCommit = 0;
  snapshot: Snapshot | undefined;
  /** Entries after the snapshot, contiguous. */
  entries: Entry[] = [];

  /** Index of the entry before the first stored one. */
  snapshotIndex(): number {
    return this.snapshot?.metadata.index ?? 0;
  }

  lastIndex(): number {
    return this.snapshotIndex() + this.entries.length;
  }

  /** Term of the entry at `index`, or undefined when it is not stored (compacted or beyond the end). */
  term(index: number): number | undefined {
    const base = this.snapshotIndex();
    if (index === base) return this.snapshot?.metadata.term ?? 0;
    return this.entries[index - base - 1]?.term;
  }

  entry(index: number): Entry | undefined {
    return this.entries[index - this.snapshotIndex() - 1];
  }

  /**
   * Persists a Ready. With `tornAfter` set, the write is cut short: only that many of the new
   * entries reach the disk and neither the snapshot nor the hard state does (a crash mid-fsync).
   */
  persist(rd: Pick<Ready, 'snapshot' | 'entries' | 'hardState'>, tornAfter?: number): void {
    if (tornAfter !== undefined) {
      if (rd.snapshot === undefined) this.append(rd.entries.slice(0, tornAfter));
      return;
    }
    if (rd.snapshot !== undefined) {
      // A snapshot from the leader replaces the whole log, as the core's own log does.
      this.snapshot = rd.snapshot;
      this.entries = [];
    }
    this.append(rd.entries);
    const hs = rd.hardState;
    const sync = rd.entries.length > 0 || rd.snapshot !== undefined || (hs !== undefined && (hs.term !== this.hardState.term || hs.vote !== this.hardState.vote));
    if (hs !== undefined) this.hardState = { ...hs };
    if (sync) this.syncedCommit = this.hardState.commit;
  }

  /** A crash: what was written without fsync (a commit-only hard state) is lost. */
  loseUnsynced(): void {
    this.hardState = { ...this.hardState, commit: this.syncedCommit };
  }

  /** The application took `snapshot` at an applied index: drop the entries it covers. */
  compact(snapshot: Snapshot): void {
    const index = snapshot.metadata.index;
    if (index <= this.snapshotIndex()) return;
    if (this.term(index) !== snapshot.metadata.term) {
      throw new Error(`compaction snapshot at ${index} has term ${snapshot.metadata.term}, stored log has ${this.term(index)}`);
    }
    this.entries = this.entries.slice(index - this.snapshotIndex());
    this.snapshot = snapshot;
  }

  /** What a restarted node is built from. `bootstrap` is the membership when there is no snapshot. */
  initialState(bootstrap: ConfState): InitialState {
    return {
      hardState: { ...this.hardState },
      conf: structuredClone(this.snapshot?.metadata.conf ?? bootstrap),
      snapshot: this.snapshot,
      entries: this.entries.slice(),
      applied: this.snapshotIndex(),
    };
  }

  private append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = (entries[0] as Entry).index;
    const base = this.snapshotIndex();
    if (first > this.lastIndex() + 1) throw new Error(`stored log gap: appending ${first} after ${this.lastIndex()}`);
    if (first <= base) throw new Error(`appending ${first} at or below the snapshot index ${base}`);
    this.entries.length = first - base - 1;
    for (const e of entries) this.entries.push(e);
  }
}
