import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { InstanceImageError, prepareInstanceImages, type InstanceImageFile } from './instance-images.ts';

const RED = { r: 255, g: 0, b: 0 };
const BLUE = { r: 0, g: 0, b: 255 };

/** A `width x height` PNG, left half `left`, right half `right`. */
async function halves(width: number, height: number, left: typeof RED, right: typeof RED, format: 'png' | 'jpeg' = 'png', orientation?: number): Promise<Uint8Array> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const colour = x < width / 2 ? left : right;
      data.set([colour.r, colour.g, colour.b], (y * width + x) * 3);
    }
  }
  let image = sharp(data, { raw: { width, height, channels: 3 } });
  if (orientation !== undefined) image = image.withMetadata({ orientation });
  return new Uint8Array(await (format === 'png' ? image.png() : image.jpeg({ quality: 95 })).toBuffer());
}

/** Colour of pixel (x, y) of a prepared image, back in 0..255. */
function pixel(pixels: Float32Array, size: number, x: number, y: number): number[] {
  return [0, 1, 2].map((c) => Math.round((pixels[c * size * size + y * size + x]! + 1) * 127.5));
}

describe('prepareInstanceImages', () => {
  it('centre-crops to a square, resizes, scales to [-1, 1] and mirrors on request', async () => {
    // 48x32: the centre crop keeps x 8..40, half red and half blue.
    const photo = await halves(48, 32, RED, BLUE);
    const files: InstanceImageFile[] = ['a.png', 'b.png', 'c.png'].map((name) => ({ name, data: photo }));
    const { images, flipped } = await prepareInstanceImages(files, { size: 16, flip: true });
    expect(images).toHaveLength(3);
    const { pixels, size } = images[0]!;
    expect(size).toBe(16);
    expect(pixels.length).toBe(3 * 16 * 16);
    expect(Math.min(...pixels)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...pixels)).toBeLessThanOrEqual(1);
    expect(pixel(pixels, 16, 2, 8)).toEqual([255, 0, 0]);
    expect(pixel(pixels, 16, 13, 8)).toEqual([0, 0, 255]);
    expect(flipped).toHaveLength(3);
    expect(flipped[0]!.name).toBe('a.png (mirrored)');
    expect(pixel(flipped[0]!.pixels, 16, 2, 8)).toEqual([0, 0, 255]);
    expect(pixel(flipped[0]!.pixels, 16, 13, 8)).toEqual([255, 0, 0]);
    expect((await prepareInstanceImages(files, { size: 16 })).flipped).toEqual([]);
  });

  it('applies the EXIF orientation before cropping', async () => {
    // Stored 40x20 landscape, left red; orientation 6 displays it rotated 90 degrees clockwise: 20x40, red on top.
    const photo = await halves(40, 20, RED, BLUE, 'jpeg', 6);
    const files = [1, 2, 3].map((i) => ({ name: `p${i}.jpg`, data: photo }));
    const { images } = await prepareInstanceImages(files, { size: 16 });
    const top = pixel(images[0]!.pixels, 16, 8, 2);
    const bottom = pixel(images[0]!.pixels, 16, 8, 13);
    expect(top[0]).toBeGreaterThan(200);
    expect(top[2]).toBeLessThan(60);
    expect(bottom[2]).toBeGreaterThan(200);
    expect(bottom[0]).toBeLessThan(60);
  });

  it('refuses non-images, corrupt files, vector formats and tiny photos, naming the file', async () => {
    const good = await halves(32, 32, RED, BLUE);
    const withBad = async (bad: InstanceImageFile): Promise<InstanceImageError> => {
      const error = await prepareInstanceImages([{ name: 'ok1.png', data: good }, bad, { name: 'ok2.png', data: good }], { size: 16 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InstanceImageError);
      expect((error as InstanceImageError).file).toBe(bad.name);
      return error as InstanceImageError;
    };
    expect((await withBad({ name: 'notes.txt', data: new TextEncoder().encode('hello, not a photo') })).message).toMatch(/^photo "notes.txt" is not an image that can be read .*send a JPEG, PNG or WebP/);
    expect((await withBad({ name: 'empty.jpg', data: new Uint8Array(0) })).message).toBe('photo "empty.jpg" is empty');
    expect((await withBad({ name: 'cut.png', data: good.subarray(0, good.length - 40) })).message).toMatch(/^photo "cut.png" cannot be decoded \(.*\); is the file complete\?$/);
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="red"/></svg>');
    expect((await withBad({ name: 'logo.svg', data: svg })).message).toBe('photo "logo.svg" is a SVG file; send a JPEG, PNG or WebP photo');
    expect((await withBad({ name: 'thumb.png', data: await halves(12, 40, RED, BLUE) })).message).toBe('photo "thumb.png" is 12x40 pixels, too small: its shorter side needs at least 16 pixels');
  });

  it('needs 3 to 20 photos', async () => {
    const good = { name: 'a.png', data: await halves(32, 32, RED, BLUE) };
    await expect(prepareInstanceImages([good, good], { size: 16 })).rejects.toThrowError('DreamBooth needs 3 to 20 photos of the subject, got 2');
    await expect(prepareInstanceImages(Array.from({ length: 21 }, () => good), { size: 16 })).rejects.toThrowError(/got 21/);
  });
});
