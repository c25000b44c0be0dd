/** The fields of a PNG's IHDR chunk that decide whether it is worth decoding. */
export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA (PNG specification, 11.2.2). */
  readonly colorType: number;
}

/** The 8 bytes every PNG starts with. */
export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;

/** Signature (8) + IHDR length (4) + type (4) + data (13) + CRC (4). */
const HEADER_BYTES = 33;

/**
 * Reads the IHDR chunk, which the PNG specification requires to come first, without inflating
 * anything: the pixel count it claims can then be bounded before a decoder allocates for it.
 * Returns the header, or a reason that says what the bytes are instead. Its CRC is left to
 * `pngChunksProblem`, which checks every chunk's.
 */
export function readPngHeader(bytes: Uint8Array): { ok: true; header: PngHeader } | { ok: false; reason: string } {
  if (!PNG_SIGNATURE.every((byte, i) => bytes[i] === byte)) return { ok: false, reason: `the result is ${describeNonPng(bytes)}, not a PNG; the agent must upload the PNG it encoded` };
  if (bytes.byteLength < HEADER_BYTES) return { ok: false, reason: `the PNG has only ${bytes.byteLength} bytes, too few for its IHDR header, so the upload is truncated` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if (view.getUint32(8) !== 13 || type !== 'IHDR') return { ok: false, reason: `the PNG's first chunk is ${JSON.stringify(type)} of ${view.getUint32(8)} bytes, not the 13-byte IHDR the format requires` };
  const header = { width: view.getUint32(16), height: view.getUint32(20), bitDepth: bytes[24]!, colorType: bytes[25]! };
  if (header.width === 0 || header.height === 0) return { ok: false, reason: `the PNG claims ${header.width}x${header.height} pixels, an empty image` };
  return { ok: true, header };
}

/** What non-PNG bytes look like, so an operator can tell an agent that encodes the wrong format from one that uploads garbage. */
function describeNonPng(bytes: Uint8Array): string {
  const ascii = (start: number, end: number): string => String.fromCharCode(...bytes.subarray(start, end));
  if (bytes.byteLength === 0) return 'empty';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'a JPEG image';
  if (ascii(0, 4) === 'GIF8') return 'a GIF image';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'a WebP image';
  const start = Buffer.from(bytes.subarray(0, 8)).toString('hex');
  return `unrecognized data (${bytes.byteLength} bytes starting with hex ${start})`;
}
