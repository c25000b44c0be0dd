import type { Entry, Snapshot } from './types.ts';

/**
 * The in-memory Raft log of one node: the latest snapshot (compaction point) followed by
 * contiguous entries. It also tracks which entries are stable (persisted by the driver),
 * committed and applied.
 *
 * Invariants: snapshotIndex <= applied <= committed <= lastIndex(); entries[i].index ===
 * snapshotIndex + 1 + i; stableIndex <= lastIndex().
 */
export class RaftLog {
  snapshotIndex = 0;
  snapshotTerm = 0;
  /** The snapshot at the compaction point, used to catch up lagging followers. */
  snapshot: Snapshot | undefined;
  /** A snapshot received from the leader that the driver has not persisted and applied yet. */
  pendingSnapshot: Snapshot | undefined;
  entries: Entry[] = [];
  committed = 0;
  applied = 0;
  /** Last index known to be durable in the driver's storage. */
  stableIndex = 0;

  constructor(snapshot: Snapshot | undefined, entries: Entry[], committed: number, applied: number) {
    if (snapshot) {
      this.snapshot = snapshot;
      this.snapshotIndex = snapshot.metadata.index;
      this.snapshotTerm = snapshot.metadata.term;
    }
    for (let i = 0; i < entries.length; i++) {
      if (entries[i]!.index !== this.snapshotIndex + 1 + i) {
        throw new Error(`log entries are not contiguous after index ${this.snapshotIndex}: found ${entries[i]!.index} at position ${i}`);
      }
    }
    this.entries = entries.slice();
    this.stableIndex = this.lastIndex();
    this.committed = Math.min(Math.max(committed, this.snapshotIndex), this.lastIndex());
    this.applied = Math.max(applied, this.snapshotIndex);
  }

  firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  lastIndex(): number {
    return this.snapshotIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1]!.term : this.snapshotTerm;
  }

  /** Term of the entry at `index`, or undefined when it is compacted away or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapshotIndex - 1]!.term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Raft §5.4.1: is a log ending at (lastTerm, lastIndex) at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Entries in [lo, hi), at most `maxBytes` of data but always at least one entry. */
  slice(lo: number, hi: number, maxBytes = Infinity): Entry[] {
    const from = lo - this.snapshotIndex - 1;
    const to = Math.min(hi, this.lastIndex() + 1) - this.snapshotIndex - 1;
    if (from < 0) throw new Error(`entries from ${lo} are compacted (first index ${this.firstIndex()})`);
    if (maxBytes === Infinity) return this.entries.slice(from, to);
    let bytes = 0;
    let end = from;
    while (end < to) {
      bytes += this.entries[end]!.data.byteLength;
      if (bytes > maxBytes && end > from) break;
      end++;
    }
    return this.entries.slice(from, end);
  }

  /**
   * Appends leader entries that follow a matching (index, term), truncating any conflicting
   * suffix (§5.3). Returns the index of the last new entry.
   */
  maybeAppend(entries: Entry[]): number {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.index <= this.snapshotIndex) continue;
      const existing = this.term(e.index);
      if (existing === e.term) continue;
      if (existing !== undefined && e.index <= this.committed) {
        throw new Error(`entry ${e.index} conflicts with a committed entry (commit ${this.committed})`);
      }
      this.truncateAndAppend(entries.slice(i));
      break;
    }
    return entries.length > 0 ? entries[entries.length - 1]!.index : 0;
  }

  /** Appends entries whose first index may overwrite a suffix of the log. */
  truncateAndAppend(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    if (first > this.lastIndex() + 1) throw new Error(`gap in log: appending ${first} after ${this.lastIndex()}`);
    const keep = first - this.snapshotIndex - 1;
    if (keep < this.entries.length) this.entries.length = keep;
    for (const e of entries) this.entries.push(e);
    if (this.stableIndex >= first) this.stableIndex = first - 1;
  }

  /**
   * Largest index <= `index` whose term is <= `term` (fast log backtracking). The result is
   * never below the snapshot index.
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    while (i > this.snapshotIndex) {
      const t = this.term(i)!;
      if (t <= term) return i;
      i--;
    }
    return i;
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    if (index > this.lastIndex()) throw new Error(`commit ${index} is beyond the last index ${this.lastIndex()}`);
    this.committed = index;
    return true;
  }

  /** Entries committed but not yet handed to the application. */
  nextCommitted(): Entry[] {
    const lo = Math.max(this.applied, this.snapshotIndex) + 1;
    if (lo > this.committed) return [];
    return this.slice(lo, this.committed + 1);
  }

  /** Entries not yet persisted by the driver. */
  unstable(): Entry[] {
    if (this.stableIndex >= this.lastIndex()) return [];
    return this.slice(Math.max(this.stableIndex, this.snapshotIndex) + 1, this.lastIndex() + 1);
  }

  /** Marks entries up to (index, term) durable, unless the log changed under them since. */
  stableTo(index: number, term: number): void {
    if (index > this.stableIndex && this.term(index) === term) this.stableIndex = index;
  }

  /** Drops entries covered by an application snapshot taken at or below `applied`. */
  compact(snapshot: Snapshot): void {
    const index = snapshot.metadata.index;
    if (index <= this.snapshotIndex) return;
    if (index > this.applied) throw new Error(`cannot compact to ${index}: only ${this.applied} is applied`);
    const term = this.term(index);
    if (term !== snapshot.metadata.term) throw new Error(`snapshot at ${index} has term ${snapshot.metadata.term}, log has ${term}`);
    this.entries = this.entries.slice(index - this.snapshotIndex);
    this.snapshotIndex = index;
    this.snapshotTerm = term;
    this.snapshot = snapshot;
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  restore(snapshot: Snapshot): void {
    this.entries = [];
    this.snapshot = snapshot;
    this.pendingSnapshot = snapshot;
    this.snapshotIndex = snapshot.metadata.index;
    this.snapshotTerm = snapshot.metadata.term;
    this.committed = snapshot.metadata.index;
    this.stableIndex = snapshot.metadata.index;
  }
}
