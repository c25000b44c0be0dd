import { inflateSync } from 'node:zlib';

/**
 * PNG text chunks (PNG specification, sections 5.3 and 11.3.4): `tEXt` (Latin-1), `zTXt`
 * (deflated Latin-1) and `iTXt` (UTF-8). Each chunk is a 4-byte big-endian length, a 4-byte type,
 * the data, and a CRC-32 over type and data.
 */

/** One keyword/text pair of a PNG. */
export interface PngTextEntry {
  keyword: string;
  text: string;
}

/** A PNG that cannot be read: bad signature, truncated chunk, CRC mismatch, malformed text chunk. */
export class PngFormatError extends Error {
  override readonly name = 'PngFormatError';
}

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** The CRC-32 table of the PNG specification (polynomial 0xedb88320), computed once. */
const CRC_TABLE: readonly number[] = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 of `bytes` as PNG computes it. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = (CRC_TABLE[(c ^ (bytes[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Text that a tEXt chunk can carry as is: Latin-1 printable characters and newlines. */
const LATIN1_TEXT = /^[\n\u0020-\u007e\u00a0-\u00ff]*$/;

/**
 * A copy of `png` with one text chunk per entry inserted just before `IEND`: `tEXt` when the
 * text is printable Latin-1, otherwise an uncompressed `iTXt` in UTF-8. Keywords must be 1 to 79
 * printable Latin-1 characters without leading, trailing or double spaces.
 */
export function insertPngTextChunks(png: Uint8Array, entries: readonly PngTextEntry[]): Buffer {
  const chunks = splitChunks(png);
  const iend = chunks.find((chunk) => chunk.type === 'IEND');
  if (iend === undefined) throw new PngFormatError('the PNG has no IEND chunk');
  const inserted = entries.map((entry) => textChunk(entry));
  const source = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  return Buffer.concat([source.subarray(0, iend.offset), ...inserted, source.subarray(iend.offset)]);
}

/** Every text entry of `png` (`tEXt`, `zTXt` and `iTXt`), in file order. Verifies every chunk's CRC. */
export function readPngTextChunks(png: Uint8Array): PngTextEntry[] {
  const entries: PngTextEntry[] = [];
  for (const chunk of splitChunks(png)) {
    const data = png.subarray(chunk.dataStart, chunk.dataEnd);
    if (chunk.type === 'tEXt') entries.push(parseText(data));
    else if (chunk.type === 'zTXt') entries.push(parseCompressedText(data));
    else if (chunk.type === 'iTXt') entries.push(parseInternationalText(data));
  }
  return entries;
}

interface ChunkSpan {
  type: string;
  /** Offset of the chunk's length field. */
  offset: number;
  dataStart: number;
  dataEnd: number;
}

function splitChunks(png: Uint8Array): ChunkSpan[] {
  if (png.length < SIGNATURE.length || SIGNATURE.some((byte, i) => png[i] !== byte)) throw new PngFormatError('not a PNG (bad signature)');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: ChunkSpan[] = [];
  let offset = SIGNATURE.length;
  while (offset < png.length) {
    if (offset + 12 > png.length) throw new PngFormatError(`truncated chunk header at byte ${offset}`);
    const length = view.getUint32(offset);
    const dataStart = offset + 8;
    const dataEnd = dataStart + length;
    if (dataEnd + 4 > png.length) throw new PngFormatError(`truncated chunk at byte ${offset} (length ${length})`);
    const type = String.fromCharCode(...png.subarray(offset + 4, dataStart));
    if (crc32(png, offset + 4, dataEnd) !== view.getUint32(dataEnd)) throw new PngFormatError(`CRC mismatch in the ${type} chunk at byte ${offset}`);
    chunks.push({ type, offset, dataStart, dataEnd });
    offset = dataEnd + 4;
    if (type === 'IEND') break;
  }
  return chunks;
}

function checkKeyword(keyword: string): void {
  if (keyword.length < 1 || keyword.length > 79 || !/^[\u0020-\u007e\u00a1-\u00ff]+$/.test(keyword) || /^ | $| {2}/.test(keyword)) {
    throw new RangeError(`PNG text keyword ${JSON.stringify(keyword)} must be 1 to 79 printable Latin-1 characters without leading, trailing or double spaces`);
  }
}

function textChunk(entry: PngTextEntry): Buffer {
  checkKeyword(entry.keyword);
  const keyword = Buffer.from(entry.keyword, 'latin1');
  if (LATIN1_TEXT.test(entry.text)) return chunk('tEXt', Buffer.concat([keyword, Buffer.of(0), Buffer.from(entry.text, 'latin1')]));
  // keyword, 0, compression flag 0, method 0, empty language tag, 0, empty translated keyword, 0, UTF-8 text
  return chunk('iTXt', Buffer.concat([keyword, Buffer.of(0, 0, 0, 0, 0), Buffer.from(entry.text, 'utf8')]));
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out, 4, 8 + data.length), 8 + data.length);
  return out;
}

function splitAtNull(data: Uint8Array, from: number, what: string): [Uint8Array, number] {
  const end = data.indexOf(0, from);
  if (end < 0) throw new PngFormatError(`malformed text chunk: no null byte after the ${what}`);
  return [data.subarray(from, end), end + 1];
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function parseText(data: Uint8Array): PngTextEntry {
  const [keyword, next] = splitAtNull(data, 0, 'keyword');
  return { keyword: latin1(keyword), text: latin1(data.subarray(next)) };
}

function parseCompressedText(data: Uint8Array): PngTextEntry {
  const [keyword, next] = splitAtNull(data, 0, 'keyword');
  if (data[next] !== 0) throw new PngFormatError(`zTXt chunk "${latin1(keyword)}" uses unknown compression method ${data[next]}`);
  return { keyword: latin1(keyword), text: latin1(inflate(data.subarray(next + 1), latin1(keyword))) };
}

function parseInternationalText(data: Uint8Array): PngTextEntry {
  const [keyword, afterKeyword] = splitAtNull(data, 0, 'keyword');
  const compressed = data[afterKeyword] === 1;
  const [, afterLanguage] = splitAtNull(data, afterKeyword + 2, 'language tag');
  const [, afterTranslated] = splitAtNull(data, afterLanguage, 'translated keyword');
  const body = data.subarray(afterTranslated);
  const text = compressed ? inflate(body, latin1(keyword)) : body;
  return { keyword: latin1(keyword), text: Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8') };
}

function inflate(data: Uint8Array, keyword: string): Uint8Array {
  try {
    return inflateSync(data);
  } catch (error) {
    throw new PngFormatError(`text chunk "${keyword}" does not inflate: ${error instanceof Error ? error.message : String(error)}`);
  }
}
