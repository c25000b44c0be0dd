import { StorageError } from '../raft/errors.ts';
import { MAX_RECORD_PAYLOAD, RECORD_HEADER_BYTES, RecordFormatError, decodeRecord, recordChecksum } from './wal-codec.ts';
import type { WalRecord } from './wal-codec.ts';

/** What scanning one segment found. */
export interface SegmentScan {
  /** Offset just past the last good record. */
  validEnd: number;
  /** Why bytes after `validEnd` were dropped (a torn write), or '' when the file ended cleanly. */
  tornReason: string;
}

/** The error for damage that cannot be a torn write. */
export function walCorruption(path: string, offset: number, reason: string): StorageError {
  return new StorageError(
    `write-ahead log ${path} is corrupt at byte offset ${offset}: ${reason}. ` +
      'The node refuses to start: restore the data dir from a backup, or remove this node from the cluster and re-add it with an empty data dir',
  );
}

function allZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

/**
 * Walks the records of one segment file held in `buf`, calling `onRecord` for each good one.
 *
 * In the last segment, a damaged final record (header or payload cut short, or a checksum
 * mismatch followed by nothing but zero bytes) is a write that a crash interrupted: the scan
 * stops there and reports the tail as torn. Any other damage, and any damage in an earlier
 * segment, throws a StorageError naming the file and the offset.
 */
export function scanSegment(buf: Buffer, path: string, isLast: boolean, onRecord: (record: WalRecord, offset: number) => void): SegmentScan {
  let at = 0;
  const n = buf.length;
  const torn = (reason: string): SegmentScan => {
    if (!isLast) throw walCorruption(path, at, `${reason} in a segment that is not the last one`);
    return { validEnd: at, tornReason: reason };
  };
  while (at < n) {
    if (n - at < RECORD_HEADER_BYTES) {
      return torn(`record header cut short (${n - at} of ${RECORD_HEADER_BYTES} bytes)`);
    }
    const len = buf.readUInt32LE(at);
    const sum = buf.readUInt32LE(at + 4);
    const type = buf[at + 8]!;
    if (len === 0 && sum === 0 && type === 0) {
      if (allZero(buf, at)) return torn('zero-filled tail');
      throw walCorruption(path, at, 'zeroed record header followed by data');
    }
    if (len > MAX_RECORD_PAYLOAD) throw walCorruption(path, at, `record length ${len} exceeds the ${MAX_RECORD_PAYLOAD}-byte limit`);
    const end = at + RECORD_HEADER_BYTES + len;
    if (end > n) return torn(`record payload cut short (${n - at - RECORD_HEADER_BYTES} of ${len} bytes)`);
    if (recordChecksum(buf, at + 8, end) !== sum) {
      if (allZero(buf, end)) return torn('checksum mismatch in the final record');
      throw walCorruption(path, at, 'checksum mismatch with valid-looking data after it');
    }
    let record: WalRecord;
    try {
      record = decodeRecord(buf, type, at + RECORD_HEADER_BYTES, end);
    } catch (err) {
      if (err instanceof RecordFormatError) throw walCorruption(path, at, err.message);
      throw err;
    }
    onRecord(record, at);
    at = end;
  }
  return { validEnd: at, tornReason: '' };
}
