import { EMPTY_HARD_STATE } from '../raft/types.ts';
import type { Entry, HardState } from '../raft/types.ts';
import type { WalRecord } from './wal-codec.ts';

/** Index and term of a snapshot's last entry. */
export interface LogPosition {
  index: number;
  term: number;
}

/** A record that contradicts what came before it (reported with the file and offset by the caller). */
export class ReplayInconsistency extends Error {
  override readonly name = 'ReplayInconsistency';
}

/** The log on disk cannot be rebuilt on top of the chosen snapshot (it no longer reaches back to it). */
export class ReplayGap extends Error {
  override readonly name = 'ReplayGap';
}

/** The outcome of a replay. */
export interface ReplayResult {
  hardState: HardState;
  base: LogPosition;
  /** Contiguous entries from base.index + 1. */
  entries: Entry[];
  /** Set when the target snapshot had no marker in the log (a crash right after its file was written): the caller must append this marker. */
  missingMarker?: { index: number; term: number; keepsSuffix: boolean };
}

/**
 * Rebuilds the log from write-ahead-log records applied in order, on top of a target snapshot
 * (the newest readable snapshot file, or none at {index: 0, term: 0}).
 *
 * A replay may begin at a segment whose predecessors were deleted after compaction: the
 * entries up to that segment's `lastIndex` are then unknown until a snapshot covers them.
 * Snapshot markers newer than the target (whose files are unreadable) are not applied; the
 * log must still hold their entries, or the target cannot be used.
 */
export class WalReplay {
  private hardState: HardState = EMPTY_HARD_STATE;
  private base: LogPosition = { index: 0, term: 0 };
  private entries: Entry[] = [];
  /** Index of entries[0]; indexes in (base.index, start) are unknown (their segments were deleted). */
  private start = 1;
  private segments = 0;

  constructor(private readonly target: LogPosition) {}

  private lastIndex(): number {
    return this.start + this.entries.length - 1;
  }

  private termAt(index: number): number | undefined {
    if (index === this.base.index) return this.base.term;
    if (index >= this.start && index <= this.lastIndex()) return this.entries[index - this.start]!.term;
    return undefined;
  }

  /** Applies one record; throws ReplayInconsistency or ReplayGap. */
  apply(record: WalRecord): void {
    switch (record.type) {
      case 'segment':
        return this.applySegment(record);
      case 'hardState':
        this.hardState = record.hardState;
        return;
      case 'entry':
        return this.applyEntry(record.entry);
      case 'snapshot':
        return this.applyMarker(record.index, record.term, record.keepsSuffix);
    }
  }

  private applySegment(h: Extract<WalRecord, { type: 'segment' }>): void {
    if (this.segments++ === 0) {
      if (h.baseIndex > this.target.index) {
        throw new ReplayGap(`the log starts after index ${h.baseIndex}, past the snapshot at index ${this.target.index}`);
      }
      if (h.baseIndex === this.target.index && h.baseTerm !== this.target.term) {
        throw new ReplayInconsistency(`segment starts after index ${h.baseIndex} of term ${h.baseTerm}, but the snapshot has term ${this.target.term}`);
      }
      this.hardState = h.hardState;
      this.base = { index: h.baseIndex, term: h.baseTerm };
      this.entries = [];
      this.start = h.lastIndex + 1;
      return;
    }
    // The header's base is not compared: after a fallback to an older snapshot the writer's base
    // is older than markers that came before the header.
    const hs = this.hardState;
    if (h.lastIndex !== this.lastIndex()) {
      throw new ReplayInconsistency(`segment header says the log ended at index ${h.lastIndex}, but the previous segments end at index ${this.lastIndex()}`);
    }
    if (h.hardState.term !== hs.term || h.hardState.vote !== hs.vote || h.hardState.commit !== hs.commit) {
      throw new ReplayInconsistency('segment header hard state differs from the one the previous segment ended with');
    }
  }

  private applyEntry(e: Entry): void {
    if (this.segments === 0) throw new ReplayInconsistency('entry before the segment header');
    if (e.index <= this.base.index) {
      throw new ReplayInconsistency(`entry ${e.index} is at or below the snapshot index ${this.base.index}`);
    }
    const last = this.lastIndex();
    if (e.index > last + 1) throw new ReplayInconsistency(`entry ${e.index} leaves a gap after the last index ${last}`);
    if (e.index < this.start) {
      this.entries = [e];
      this.start = e.index;
      return;
    }
    if (e.index <= last) this.entries.length = e.index - this.start;
    this.entries.push(e);
  }

  private applyMarker(index: number, term: number, keepsSuffix: boolean): void {
    if (this.segments === 0) throw new ReplayInconsistency('snapshot marker before the segment header');
    // Already covered. Happens only after a fallback: the writer, restarted on the older
    // snapshot, may record a snapshot below a marker whose file was damaged.
    if (index <= this.base.index) return;
    if (index > this.target.index) {
      // The snapshot file of this marker is unreadable: keep its entries so the older target still works.
      if (!keepsSuffix || this.termAt(index) !== term) {
        throw new ReplayGap(`the log no longer holds the entries up to index ${index} that a newer snapshot compacted`);
      }
      return;
    }
    if (index === this.target.index && term !== this.target.term) {
      throw new ReplayInconsistency(`snapshot marker at index ${index} has term ${term}, but the snapshot file has term ${this.target.term}`);
    }
    this.compact(index, term, keepsSuffix);
  }

  private compact(index: number, term: number, keepsSuffix: boolean): void {
    if (!keepsSuffix) {
      this.entries = [];
      this.start = index + 1;
    } else if (index >= this.start) {
      const known = this.termAt(index);
      if (known !== term) {
        throw new ReplayInconsistency(`snapshot marker at index ${index} term ${term} kept the log, but the log has term ${known ?? 'none'} there`);
      }
      this.entries = this.entries.slice(index - this.start + 1);
      this.start = index + 1;
    }
    this.base = { index, term };
  }

  /** Completes the replay; throws ReplayGap when entries between the snapshot and the log are missing. */
  finish(): ReplayResult {
    let missingMarker: ReplayResult['missingMarker'];
    const t = this.target;
    if (this.base.index < t.index) {
      if (t.index > this.base.index && t.index < this.start) {
        throw new ReplayGap(`entry ${t.index} of the snapshot is in a deleted part of the log`);
      }
      const keepsSuffix = this.termAt(t.index) === t.term;
      this.compact(t.index, t.term, keepsSuffix);
      missingMarker = { index: t.index, term: t.term, keepsSuffix };
    }
    if (this.start !== this.base.index + 1) {
      throw new ReplayGap(`entries ${this.base.index + 1} to ${this.start - 1} are missing between the snapshot and the log`);
    }
    const result: ReplayResult = { hardState: this.hardState, base: this.base, entries: this.entries };
    if (missingMarker) result.missingMarker = missingMarker;
    return result;
  }
}
