import type { RgbImage } from '../image/rgb-image.ts';

/** Options of {@link composeImageGrid}. */
export interface ImageGridOptions {
  /** Whole-number upscale factor, nearest neighbour, so the pixels stay sharp (default 3). */
  scale?: number;
  /** Pixels (before scaling) between cells and around the grid (default 2). */
  gap?: number;
  /** Colour of the gaps and of empty cells (default dark gray). */
  fill?: readonly [number, number, number];
}

/**
 * Lays images out in rows (a row may be shorter than others; `undefined` leaves a cell empty),
 * every cell the size of the largest image, then upscales the sheet by a whole factor with
 * nearest-neighbour sampling, so 64x64 images stay readable without blurring.
 * @throws RangeError when there is no image at all or the scale is not a positive integer.
 */
export function composeImageGrid(rows: ReadonlyArray<ReadonlyArray<RgbImage | undefined>>, options: ImageGridOptions = {}): RgbImage {
  const scale = options.scale ?? 3;
  const gap = options.gap ?? 2;
  const fill = options.fill ?? [40, 40, 40];
  if (!Number.isInteger(scale) || scale < 1) throw new RangeError(`the grid scale is a positive whole number (got ${scale})`);
  const images = rows.flat().filter((image): image is RgbImage => image !== undefined);
  if (images.length === 0) throw new RangeError('a grid needs at least one image');
  const cellWidth = Math.max(...images.map((image) => image.width));
  const cellHeight = Math.max(...images.map((image) => image.height));
  const columns = Math.max(...rows.map((row) => row.length));
  const width = gap + columns * (cellWidth + gap);
  const height = gap + rows.length * (cellHeight + gap);
  const sheet = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) sheet.set(fill, p * 3);
  rows.forEach((row, r) => {
    row.forEach((image, c) => {
      if (image === undefined) return;
      const left = gap + c * (cellWidth + gap);
      const top = gap + r * (cellHeight + gap);
      for (let y = 0; y < image.height; y++) {
        const from = y * image.width * 3;
        sheet.set(image.data.subarray(from, from + image.width * 3), ((top + y) * width + left) * 3);
      }
    });
  });
  return upscaleNearest({ width, height, data: sheet }, scale);
}

/** Each pixel repeated `scale` times across and down. */
function upscaleNearest(image: RgbImage, scale: number): RgbImage {
  if (scale === 1) return image;
  const width = image.width * scale;
  const height = image.height * scale;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sourceRow = Math.floor(y / scale) * image.width;
    for (let x = 0; x < width; x++) {
      const from = (sourceRow + Math.floor(x / scale)) * 3;
      const to = (y * width + x) * 3;
      data[to] = image.data[from]!;
      data[to + 1] = image.data[from + 1]!;
      data[to + 2] = image.data[from + 2]!;
    }
  }
  return { width, height, data };
}
