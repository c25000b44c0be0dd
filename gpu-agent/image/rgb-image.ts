/** An 8-bit RGB image: `data` holds `width * height * 3` bytes, row by row, top to bottom, R G B per pixel. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Throws a RangeError unless `image` has positive integer sizes and exactly `width * height * 3` bytes. */
export function checkRgbImage(image: RgbImage): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`an RGB image needs positive integer sizes (got ${width}x${height})`);
  }
  if (data.length !== width * height * 3) {
    throw new RangeError(`an RGB image of ${width}x${height} holds ${width * height * 3} bytes (got ${data.length})`);
  }
}
