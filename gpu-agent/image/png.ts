import sharp from 'sharp';
import { insertPngTextChunks, readPngTextChunks } from './png-text-chunks.ts';
import type { PngTextEntry } from './png-text-chunks.ts';
import { checkRgbImage } from './rgb-image.ts';
import type { RgbImage } from './rgb-image.ts';

/** Options of {@link encodePng}. */
export interface EncodePngOptions {
  /** Text chunks written before `IEND`, in order (see {@link insertPngTextChunks}). */
  text?: readonly PngTextEntry[];
}

/**
 * Encodes an RGB image as PNG (sharp, no metadata of its own, so equal pixels and text give equal
 * bytes) and appends `options.text` as PNG text chunks.
 */
export async function encodePng(image: RgbImage, options: EncodePngOptions = {}): Promise<Buffer> {
  checkRgbImage(image);
  const encoded = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png({ compressionLevel: 9, adaptiveFiltering: true })
    .toBuffer();
  return options.text === undefined || options.text.length === 0 ? encoded : insertPngTextChunks(encoded, options.text);
}

/** The text chunks of a PNG as keyword -> text (a later chunk with the same keyword wins). Throws PngFormatError on a damaged file. */
export function readPngText(png: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readPngTextChunks(png)) out[entry.keyword] = entry.text;
  return out;
}
