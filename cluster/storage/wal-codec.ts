import type { Entry, EntryType, HardState } from '../raft/types.ts';
import { crc32 } from './crc32.ts';

/**
 * Binary layout of write-ahead-log records. Every record is
 * `[length u32 LE][crc32 u32 LE][type u8][payload]`, where `length` counts the payload and the
 * CRC covers the type byte and the payload. Numbers are float64 LE (integers below 2^53).
 *
 * Payloads:
 * - segment (first record of every segment file): version u8, seq, baseIndex, baseTerm,
 *   lastIndex, then a hard state. Together with the file name it lets a segment be read on its
 *   own once the segments before it are deleted.
 * - entry: index, term, kind u8 (0 normal, 1 conf), data bytes.
 * - hardState: term, commit, vote length u16, vote UTF-8.
 * - snapshot (written after a snapshot file is durable): index, term, flags u8 (bit 0: the log
 *   held the snapshot's last entry, so entries after it were kept).
 */
export type WalRecord =
  | { type: 'segment'; seq: number; baseIndex: number; baseTerm: number; lastIndex: number; hardState: HardState }
  | { type: 'entry'; entry: Entry }
  | { type: 'hardState'; hardState: HardState }
  | { type: 'snapshot'; index: number; term: number; keepsSuffix: boolean };

export const RECORD_HEADER_BYTES = 9;
/** Larger lengths are not a torn write but corruption (or a foreign file). */
export const MAX_RECORD_PAYLOAD = 256 * 1024 * 1024;
export const WAL_FORMAT_VERSION = 1;

const TYPE_SEGMENT = 1;
const TYPE_ENTRY = 2;
const TYPE_HARD_STATE = 3;
const TYPE_SNAPSHOT = 4;

/** A record whose checksum is fine but whose payload does not parse. */
export class RecordFormatError extends Error {
  override readonly name = 'RecordFormatError';
}

function hardStateBytes(hs: HardState): number {
  return 18 + Buffer.byteLength(hs.vote, 'utf8');
}

function payloadBytes(record: WalRecord): number {
  switch (record.type) {
    case 'segment':
      return 33 + hardStateBytes(record.hardState);
    case 'entry':
      return 17 + record.entry.data.length;
    case 'hardState':
      return hardStateBytes(record.hardState);
    case 'snapshot':
      return 17;
  }
}

function writeHardState(buf: Buffer, at: number, hs: HardState): number {
  buf.writeDoubleLE(hs.term, at);
  buf.writeDoubleLE(hs.commit, at + 8);
  const len = buf.write(hs.vote, at + 18, 'utf8');
  buf.writeUInt16LE(len, at + 16);
  return at + 18 + len;
}

/** Writes the payload of `record` at `at`, returns its type byte. */
function writePayload(buf: Buffer, at: number, record: WalRecord): number {
  switch (record.type) {
    case 'segment':
      buf[at] = WAL_FORMAT_VERSION;
      buf.writeDoubleLE(record.seq, at + 1);
      buf.writeDoubleLE(record.baseIndex, at + 9);
      buf.writeDoubleLE(record.baseTerm, at + 17);
      buf.writeDoubleLE(record.lastIndex, at + 25);
      writeHardState(buf, at + 33, record.hardState);
      return TYPE_SEGMENT;
    case 'entry': {
      const e = record.entry;
      buf.writeDoubleLE(e.index, at);
      buf.writeDoubleLE(e.term, at + 8);
      buf[at + 16] = e.type === 'conf' ? 1 : 0;
      buf.set(e.data, at + 17);
      return TYPE_ENTRY;
    }
    case 'hardState':
      writeHardState(buf, at, record.hardState);
      return TYPE_HARD_STATE;
    case 'snapshot':
      buf.writeDoubleLE(record.index, at);
      buf.writeDoubleLE(record.term, at + 8);
      buf[at + 16] = record.keepsSuffix ? 1 : 0;
      return TYPE_SNAPSHOT;
  }
}

/** Encodes records into one buffer, ready for a single write. */
export function encodeRecords(records: readonly WalRecord[]): Buffer {
  let total = 0;
  for (const r of records) total += RECORD_HEADER_BYTES + payloadBytes(r);
  const buf = Buffer.allocUnsafe(total);
  let at = 0;
  for (const r of records) {
    const len = payloadBytes(r);
    const type = writePayload(buf, at + RECORD_HEADER_BYTES, r);
    buf.writeUInt32LE(len, at);
    buf[at + 8] = type;
    const end = at + RECORD_HEADER_BYTES + len;
    buf.writeUInt32LE(crc32(buf.subarray(at + 8, end)), at + 4);
    at = end;
  }
  return buf;
}

/** Checksum a record header claims for the type byte and payload at `buf[start..end)`. */
export function recordChecksum(buf: Buffer, typeOffset: number, end: number): number {
  return crc32(buf.subarray(typeOffset, end));
}

function readCount(buf: Buffer, at: number, what: string): number {
  const v = buf.readDoubleLE(at);
  if (!Number.isSafeInteger(v) || v < 0) throw new RecordFormatError(`${what} is ${v}, not a non-negative integer`);
  return v;
}

function readHardState(buf: Buffer, at: number, end: number): HardState {
  if (end - at < 18) throw new RecordFormatError('hard state is truncated');
  const term = readCount(buf, at, 'hard state term');
  const commit = readCount(buf, at + 8, 'hard state commit');
  const len = buf.readUInt16LE(at + 16);
  if (at + 18 + len !== end) throw new RecordFormatError('hard state vote length does not match the record length');
  return { term, vote: buf.toString('utf8', at + 18, end), commit };
}

/** Decodes the payload at `buf[at..end)` of a record with type byte `type`; the CRC was already checked. */
export function decodeRecord(buf: Buffer, type: number, at: number, end: number): WalRecord {
  const len = end - at;
  switch (type) {
    case TYPE_ENTRY: {
      if (len < 17) throw new RecordFormatError('entry record is too short');
      const kind = buf[at + 16];
      if (kind !== 0 && kind !== 1) throw new RecordFormatError(`entry kind ${kind} is unknown`);
      const entryType: EntryType = kind === 1 ? 'conf' : 'normal';
      // Copy, so a loaded entry does not pin the whole segment buffer in memory.
      const data = new Uint8Array(buf.subarray(at + 17, end));
      return { type: 'entry', entry: { index: readCount(buf, at, 'entry index'), term: readCount(buf, at + 8, 'entry term'), type: entryType, data } };
    }
    case TYPE_HARD_STATE:
      return { type: 'hardState', hardState: readHardState(buf, at, end) };
    case TYPE_SNAPSHOT:
      if (len !== 17) throw new RecordFormatError('snapshot record has the wrong length');
      return { type: 'snapshot', index: readCount(buf, at, 'snapshot index'), term: readCount(buf, at + 8, 'snapshot term'), keepsSuffix: (buf[at + 16]! & 1) === 1 };
    case TYPE_SEGMENT: {
      if (len < 33) throw new RecordFormatError('segment header is too short');
      if (buf[at] !== WAL_FORMAT_VERSION) throw new RecordFormatError(`WAL format version ${buf[at]} is not supported (this build reads version ${WAL_FORMAT_VERSION})`);
      return {
        type: 'segment',
        seq: readCount(buf, at + 1, 'segment sequence number'),
        baseIndex: readCount(buf, at + 9, 'segment base index'),
        baseTerm: readCount(buf, at + 17, 'segment base term'),
        lastIndex: readCount(buf, at + 25, 'segment last index'),
        hardState: readHardState(buf, at + 33, end),
      };
    }
    default:
      throw new RecordFormatError(`record type ${type} is unknown`);
  }
}
