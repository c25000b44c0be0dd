import { crc32 } from '../../../gpu-agent/image/png-text-chunks.ts';
import { PNG_SIGNATURE } from './read-png-header.ts';

/**
 * Walks a PNG's chunks without inflating any: each must lie inside the file with a correct
 * CRC-32, and the file must end exactly at IEND's CRC. Decoders tolerate a missing IEND or
 * trailing bytes, but either means the upload was cut short or carries data nobody asked for
 * (a polyglot file), so both are refused. Returns the reason, or undefined for a sound file.
 */
export function pngChunksProblem(png: Uint8Array): string | undefined {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let offset: number = PNG_SIGNATURE.length;
  while (offset + 12 <= png.length) {
    const name = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
    const type = JSON.stringify(name);
    const end = offset + 12 + view.getUint32(offset);
    if (end > png.length) return `the PNG's ${type} chunk at byte ${offset} runs past the end of the file, so the upload is truncated`;
    if (crc32(png, offset + 4, end - 4) !== view.getUint32(end - 4)) return `the PNG's ${type} chunk at byte ${offset} fails its CRC check, so the upload is damaged`;
    if (name === 'IEND') return end === png.length ? undefined : `the PNG has ${png.length - end} bytes after its IEND chunk, which a result must not carry`;
    offset = end;
  }
  return 'the PNG ends without its IEND chunk, so the upload is truncated';
}
