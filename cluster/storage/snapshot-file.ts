import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Snapshot } from '../raft/types.ts';
import { crc32 } from './crc32.ts';
import { writeFileAtomically } from './durable-fs.ts';

/**
 * Snapshot files: `<index hex16>-<term hex16>.snap`, laid out as
 * `"TBSNAP01"` · metadata length u32 LE · metadata JSON · data · CRC-32 u32 LE of all bytes before it.
 */
const MAGIC = Buffer.from('TBSNAP01', 'latin1');
const NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

const metadataSchema = z.object({
  index: z.number().int().nonnegative(),
  term: z.number().int().nonnegative(),
  conf: z.object({
    voters: z.array(z.string()),
    learners: z.array(z.string()),
    addresses: z.record(z.string(), z.string()),
  }),
  dataLength: z.number().int().nonnegative(),
});

/** A snapshot file found in the snapshot directory. */
export interface SnapshotFileInfo {
  path: string;
  index: number;
  term: number;
}

/** A snapshot file that exists but cannot be used. */
export class SnapshotFileCorrupt extends Error {
  override readonly name = 'SnapshotFileCorrupt';
}

function hex16(n: number): string {
  return n.toString(16).padStart(16, '0');
}

/** File name of the snapshot ending at `index` of `term`. */
export function snapshotFileName(index: number, term: number): string {
  return `${hex16(index)}-${hex16(term)}.snap`;
}

/** Lists snapshot files in `dir`, newest (highest index) first. Temp files and set-aside files are skipped. */
export async function listSnapshotFiles(dir: string): Promise<SnapshotFileInfo[]> {
  const found: SnapshotFileInfo[] = [];
  for (const name of await readdir(dir)) {
    const m = NAME.exec(name);
    if (m) found.push({ path: join(dir, name), index: parseInt(m[1]!, 16), term: parseInt(m[2]!, 16) });
  }
  return found.sort((a, b) => b.index - a.index || b.term - a.term);
}

/** Writes `snapshot` durably into `dir` (temp file, fsync, rename, fsync dir); returns its path. */
export async function writeSnapshotFile(dir: string, snapshot: Snapshot): Promise<string> {
  const { index, term, conf } = snapshot.metadata;
  const meta = Buffer.from(JSON.stringify({ index, term, conf, dataLength: snapshot.data.length }), 'utf8');
  const metaLength = Buffer.alloc(4);
  metaLength.writeUInt32LE(meta.length);
  let sum = crc32(MAGIC);
  sum = crc32(metaLength, sum);
  sum = crc32(meta, sum);
  sum = crc32(snapshot.data, sum);
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32LE(sum);
  const path = join(dir, snapshotFileName(index, term));
  await writeFileAtomically(path, [MAGIC, metaLength, meta, snapshot.data, trailer]);
  return path;
}

/** Reads and verifies a snapshot file; throws SnapshotFileCorrupt when it is damaged. */
export async function readSnapshotFile(info: SnapshotFileInfo): Promise<Snapshot> {
  const buf = await readFile(info.path);
  const fail = (reason: string) => new SnapshotFileCorrupt(`snapshot file ${info.path} is unusable: ${reason}`);
  if (buf.length < MAGIC.length + 8 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw fail('not a snapshot file (bad header)');
  const body = buf.length - 4;
  if (crc32(buf.subarray(0, body)) !== buf.readUInt32LE(body)) throw fail('checksum mismatch');
  const metaLength = buf.readUInt32LE(MAGIC.length);
  const metaStart = MAGIC.length + 4;
  if (metaStart + metaLength > body) throw fail('metadata runs past the end of the file');
  let parsed: z.infer<typeof metadataSchema>;
  try {
    parsed = metadataSchema.parse(JSON.parse(buf.toString('utf8', metaStart, metaStart + metaLength)));
  } catch (err) {
    throw fail(`bad metadata (${(err as Error).message})`);
  }
  const dataStart = metaStart + metaLength;
  if (dataStart + parsed.dataLength !== body) throw fail('data length does not match the file size');
  if (parsed.index !== info.index || parsed.term !== info.term) throw fail('metadata does not match the file name');
  return {
    metadata: { index: parsed.index, term: parsed.term, conf: parsed.conf },
    data: new Uint8Array(buf.buffer, buf.byteOffset + dataStart, parsed.dataLength),
  };
}
