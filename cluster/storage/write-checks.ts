import type { Entry, HardState, Snapshot } from '../raft/types.ts';
import { MAX_RECORD_PAYLOAD } from './wal-codec.ts';

/**
 * Checks of what a caller asks a LogStore to write, shared by the file and memory stores so both
 * refuse the same input. A failed check throws a RangeError: it is a caller bug, not a storage
 * fault, and the store stays usable.
 */
const MAX_ENTRY_DATA = MAX_RECORD_PAYLOAD - 17;
const MAX_VOTE_BYTES = 0xffff;

function count(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be a non-negative integer, got ${value}`);
}

/** Entries are contiguous, start after the compacted prefix (`baseIndex`) and no later than `lastIndex + 1`, and fit a record. */
export function checkAppend(entries: readonly Entry[], baseIndex: number, lastIndex: number): void {
  if (entries.length === 0) return;
  const first = entries[0]!.index;
  if (first <= baseIndex) throw new RangeError(`cannot write entry ${first}: entries up to ${baseIndex} are compacted into a snapshot`);
  if (first > lastIndex + 1) throw new RangeError(`cannot write entry ${first}: the log ends at ${lastIndex}, which would leave a gap`);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.index !== first + i) throw new RangeError(`entries to write are not contiguous: ${entries[i - 1]!.index} is followed by ${e.index}`);
    count(e.term, `term of entry ${e.index}`);
    if (e.type !== 'normal' && e.type !== 'conf') throw new RangeError(`entry ${e.index} has unknown type ${String(e.type)}`);
    if (e.data.length > MAX_ENTRY_DATA) throw new RangeError(`entry ${e.index} holds ${e.data.length} bytes, more than the ${MAX_ENTRY_DATA}-byte limit`);
  }
}

/** Term and commit are integers, the vote fits its length field. */
export function checkHardState(hs: HardState): void {
  count(hs.term, 'hard state term');
  count(hs.commit, 'hard state commit');
  if (Buffer.byteLength(hs.vote, 'utf8') > MAX_VOTE_BYTES) throw new RangeError('hard state vote is longer than 65535 bytes');
}

/** The snapshot's index and term are integers. */
export function checkSnapshot(snapshot: Snapshot): void {
  count(snapshot.metadata.index, 'snapshot index');
  count(snapshot.metadata.term, 'snapshot term');
}
