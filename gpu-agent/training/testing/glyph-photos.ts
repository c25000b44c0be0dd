import sharp from 'sharp';
import type { InstanceImageFile } from '../instance-images.ts';

/**
 * Test helper: PNG "photos" of a subject the tiny world never shows, a yellow X on blue, each
 * shifted a little sideways (as photos of one subject differ), `size` pixels square.
 */
export async function glyphPhotos(count: number, size = 64): Promise<InstanceImageFile[]> {
  const photos: InstanceImageFile[] = [];
  for (let i = 0; i < count; i++) {
    const shift = ((i % 3) - 1) * 3;
    const data = Buffer.alloc(size * size * 3);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const on = Math.abs(x - shift - y) < size / 12 || Math.abs(x - shift + y - (size - 1)) < size / 12;
        data.set(on ? [250, 220, 40] : [30, 60, 200], (y * size + x) * 3);
      }
    }
    photos.push({ name: `glyph-${i + 1}.png`, data: new Uint8Array(await sharp(data, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer()) });
  }
  return photos;
}
