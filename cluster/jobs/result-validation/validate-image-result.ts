import sharp from 'sharp';
import { pngChunksProblem } from './png-chunks-problem.ts';
import { readPngHeader, type PngHeader } from './read-png-header.ts';
import { invalid, VALID, type ValidationResult } from './validation-result.ts';

/** Bounds on an uploaded image, checked before it is decoded. */
export interface ImageLimits {
  /** Largest accepted file (default 32 MiB; a 1024x1024 RGB PNG is at most about 3 MiB). */
  maxBytes?: number;
  /** Most pixels the IHDR may claim (default 4096 x 4096), so a decompression bomb is refused unopened. */
  maxPixels?: number;
}

/** The defaults of {@link ImageLimits}. */
export const DEFAULT_IMAGE_LIMITS: Readonly<Required<ImageLimits>> = Object.freeze({ maxBytes: 32 * 1024 * 1024, maxPixels: 4096 * 4096 });

/** PNG colour types of a generated image: RGB (2), as the pipeline writes, and RGBA (6). */
const RGB_OR_RGBA: ReadonlySet<number> = new Set([2, 6]);

/**
 * Validates an image an agent uploaded for an imagine job: at most `maxBytes`, a PNG signature
 * and IHDR, every chunk inside the file with a correct CRC and nothing after IEND, a claimed
 * pixel count within `maxPixels`, exactly the requested size, 8-bit RGB or RGBA, and pixel data
 * that decodes completely. Every check that needs no inflating runs first, so a decompression
 * bomb or a file that fails them is never decoded. The project has no PNG decoder of its own,
 * so decoding uses sharp (libvips), which runs off the event loop, hence the Promise.
 */
export async function validateImageResult(bytes: Uint8Array, expected: { width: number; height: number }, limits: ImageLimits = {}): Promise<ValidationResult> {
  const { maxBytes, maxPixels } = { ...DEFAULT_IMAGE_LIMITS, ...limits };
  if (bytes.byteLength > maxBytes) return invalid(`the image has ${bytes.byteLength} bytes, more than the limit of ${maxBytes}`);
  const read = readPngHeader(bytes);
  if (!read.ok) return read;
  const problem = pngChunksProblem(bytes) ?? headerProblem(read.header, expected, maxPixels);
  return problem === undefined ? decodesCompletely(bytes, maxPixels) : invalid(problem);
}

function headerProblem(header: PngHeader, expected: { width: number; height: number }, maxPixels: number): string | undefined {
  const { width, height, bitDepth, colorType } = header;
  if (width * height > maxPixels) return `the PNG claims ${width}x${height} pixels, more than the limit of ${maxPixels}, so it was not decoded`;
  if (width !== expected.width || height !== expected.height) return `the PNG is ${width}x${height}, but the job asked for ${expected.width}x${expected.height}`;
  if (bitDepth !== 8 || !RGB_OR_RGBA.has(colorType)) return `the PNG has colour type ${colorType} at ${bitDepth} bits, expected 8-bit RGB or RGBA`;
  return undefined;
}

/** Decodes every row; sharp's `failOn: 'warning'` turns a truncated or corrupt stream into an error rather than grey rows. */
async function decodesCompletely(bytes: Uint8Array, maxPixels: number): Promise<ValidationResult> {
  try {
    await sharp(bytes, { failOn: 'warning', limitInputPixels: maxPixels }).raw().toBuffer();
    return VALID;
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).trim().replace(/\s+/g, ' ');
    return invalid(`the PNG does not decode completely (${message}), so the upload is truncated or damaged`);
  }
}
