import sharp from 'sharp';

/** A photo as uploaded: its file name (for messages) and its encoded bytes. */
export interface InstanceImageFile {
  readonly name: string;
  readonly data: Uint8Array;
}

/** A photo ready for the VAE encoder: `[3, size, size]` floats in [-1, 1], channel-major. */
export interface PreparedImage {
  readonly name: string;
  readonly size: number;
  readonly pixels: Float32Array;
}

/** Options of {@link prepareInstanceImages}. */
export interface PrepareImagesOptions {
  /** The model's image size (width = height). */
  size: number;
  /** Also return each photo mirrored left-right, for augmentation (default false). */
  flip?: boolean;
  /** Shorter side a photo needs at least (after EXIF rotation); default `max(16, size / 2)`. */
  minSide?: number;
  /** Fewest and most photos accepted (default 3 and 20). */
  minImages?: number;
  maxImages?: number;
  /** Largest photo accepted, in pixels (default 40 megapixels): bounds the memory a hostile file can claim. */
  maxPixels?: number;
  signal?: AbortSignal;
}

/** What {@link prepareInstanceImages} returns: the photos, and their mirror images when asked. */
export interface PreparedImages {
  readonly images: readonly PreparedImage[];
  readonly flipped: readonly PreparedImage[];
}

/** A photo (or set of photos) that cannot be used; `file` names the photo when one is at fault. */
export class InstanceImageError extends Error {
  override readonly name = 'InstanceImageError';
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}

/** Raster formats accepted from members; vector and document formats (SVG, PDF) are refused. */
const FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif']);

/**
 * Prepares a member's photos of a subject for DreamBooth: checks the count, then for each photo
 * applies its EXIF orientation, flattens transparency onto white, centre-crops to a square and
 * resizes to `size` (Lanczos), and scales the pixels to [-1, 1]. A file that is not an image, is
 * corrupt, is in a refused format, or is too small is an {@link InstanceImageError} that names it
 * and says why; nothing is returned unless every photo is usable.
 */
export async function prepareInstanceImages(files: readonly InstanceImageFile[], options: PrepareImagesOptions): Promise<PreparedImages> {
  const { size } = options;
  const minImages = options.minImages ?? 3;
  const maxImages = options.maxImages ?? 20;
  const minSide = options.minSide ?? Math.max(16, Math.floor(size / 2));
  if (files.length < minImages || files.length > maxImages) {
    throw new InstanceImageError(`DreamBooth needs ${minImages} to ${maxImages} photos of the subject, got ${files.length}`);
  }
  const images: PreparedImage[] = [];
  for (const file of files) {
    options.signal?.throwIfAborted();
    images.push(await prepareOne(file, size, minSide, options.maxPixels ?? 40_000_000));
  }
  return { images, flipped: options.flip === true ? images.map(mirror) : [] };
}

async function prepareOne(file: InstanceImageFile, size: number, minSide: number, maxPixels: number): Promise<PreparedImage> {
  const fail = (why: string): never => {
    throw new InstanceImageError(`photo "${file.name}" ${why}`, file.name);
  };
  if (file.data.byteLength === 0) fail('is empty');
  const input = { autoOrient: true, failOn: 'error' as const, limitInputPixels: maxPixels };
  let format: string | undefined;
  let width = 0;
  let height = 0;
  try {
    const metadata = await sharp(file.data, input).metadata();
    format = metadata.format;
    width = metadata.autoOrient?.width ?? metadata.width;
    height = metadata.autoOrient?.height ?? metadata.height;
  } catch (error) {
    fail(`is not an image that can be read (${reason(error)}); send a JPEG, PNG or WebP photo`);
  }
  if (format === undefined || !FORMATS.has(format)) fail(`is ${format === undefined ? 'of an unknown format' : `a ${format.toUpperCase()} file`}; send a JPEG, PNG or WebP photo`);
  if (Math.min(width, height) < minSide) fail(`is ${width}x${height} pixels, too small: its shorter side needs at least ${minSide} pixels`);
  let raw: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    raw = await sharp(file.data, input)
      .flatten({ background: '#ffffff' })
      .resize(size, size, { fit: 'cover', position: 'centre', kernel: 'lanczos3' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    return fail(`cannot be decoded (${reason(error)}); is the file complete?`);
  }
  const { data, info } = raw;
  if (info.width !== size || info.height !== size) fail(`came out ${info.width}x${info.height} instead of ${size}x${size}`);
  const channels = info.channels;
  const plane = size * size;
  const pixels = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) pixels[c * plane + p] = data[p * channels + (channels < 3 ? 0 : c)]! / 127.5 - 1;
  }
  return { name: file.name, size, pixels };
}

/** The image mirrored left-right. */
function mirror(image: PreparedImage): PreparedImage {
  const { size, pixels } = image;
  const out = new Float32Array(pixels.length);
  for (let row = 0; row < 3 * size; row++) {
    for (let x = 0; x < size; x++) out[row * size + x] = pixels[row * size + size - 1 - x]!;
  }
  return { name: `${image.name} (mirrored)`, size, pixels: out };
}

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.slice(0, 160);
}
