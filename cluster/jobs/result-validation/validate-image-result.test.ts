import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from '../../../gpu-agent/image/png.ts';
import { crc32 } from '../../../gpu-agent/image/png-text-chunks.ts';
import { seededRandom } from '../../../gpu-agent/tiny-model/seeded-random.ts';
import { validateImageResult } from './validate-image-result.ts';

const SIZE = { width: 64, height: 48 };

/** Seeded noise: it does not compress, so cutting the file in half cuts into the pixel data. */
function pixels(width: number, height: number, channels: number): Uint8Array {
  const random = seededRandom(7, 'result-validation');
  return Uint8Array.from({ length: width * height * channels }, () => Math.floor(random.uniform() * 256));
}

/** A copy of `png` with `edit` applied to the chunk of `type` and that chunk's CRC recomputed, so only its content is a lie. */
function withChunk(png: Uint8Array, type: string, edit: (data: DataView) => void): Uint8Array {
  const copy = Uint8Array.from(png);
  const view = new DataView(copy.buffer);
  const at = Buffer.from(copy).indexOf(type) - 4;
  const length = view.getUint32(at);
  edit(new DataView(copy.buffer, at + 8, length));
  view.setUint32(at + 8 + length, crc32(copy, at + 4, at + 8 + length));
  return copy;
}

function reasonOf(result: { ok: boolean; reason?: string }): string | undefined {
  return result.ok ? undefined : result.reason;
}

let png: Uint8Array;

beforeAll(async () => {
  png = await encodePng({ ...SIZE, data: pixels(SIZE.width, SIZE.height, 3) }, { text: [{ keyword: 'parameters', text: 'a red star' }] });
});

describe('validateImageResult', () => {
  it('accepts a PNG from the pipeline encoder at the requested size, and an RGBA PNG', async () => {
    expect(await validateImageResult(png, SIZE)).toEqual({ ok: true });
    const rgba = await sharp(pixels(8, 8, 4), { raw: { width: 8, height: 8, channels: 4 } }).png().toBuffer();
    expect(await validateImageResult(rgba, { width: 8, height: 8 })).toEqual({ ok: true });
  });

  it('refuses another size, naming both', async () => {
    expect(reasonOf(await validateImageResult(png, { width: 64, height: 64 }))).toBe('the PNG is 64x48, but the job asked for 64x64');
  });

  it('refuses a truncated upload, wherever it was cut', async () => {
    expect(reasonOf(await validateImageResult(png.subarray(0, 20), SIZE))).toBe('the PNG has only 20 bytes, too few for its IHDR header, so the upload is truncated');
    expect(reasonOf(await validateImageResult(png.subarray(0, Math.floor(png.length / 2)), SIZE))).toMatch(/^the PNG's "IDAT" chunk at byte \d+ runs past the end of the file, so the upload is truncated$/);
    // Decoders accept a PNG without IEND; a result must still arrive whole.
    expect(reasonOf(await validateImageResult(png.subarray(0, png.length - 12), SIZE))).toBe('the PNG ends without its IEND chunk, so the upload is truncated');
  });

  it('refuses pixel data that does not decode even though every CRC matches', async () => {
    const corrupt = withChunk(png, 'IDAT', (data) => {
      for (let i = 2; i < data.byteLength; i += 3) data.setUint8(i, data.getUint8(i) ^ 0x5a);
    });
    expect(reasonOf(await validateImageResult(corrupt, SIZE))).toMatch(/^the PNG does not decode completely \(.+\), so the upload is truncated or damaged$/);
  });

  it('names JPEG, empty and random bytes as what they are', async () => {
    const jpeg = await sharp(pixels(64, 48, 3), { raw: { width: 64, height: 48, channels: 3 } }).jpeg().toBuffer();
    expect(reasonOf(await validateImageResult(jpeg, SIZE))).toBe('the result is a JPEG image, not a PNG; the agent must upload the PNG it encoded');
    expect(reasonOf(await validateImageResult(new Uint8Array(0), SIZE))).toMatch(/^the result is empty, not a PNG/);
    const random = Uint8Array.of(0xde, 0xad, 0xbe, 0xef, ...pixels(10, 10, 1));
    expect(reasonOf(await validateImageResult(random, SIZE))).toMatch(/^the result is unrecognized data \(104 bytes starting with hex deadbeef[0-9a-f]{8}\), not a PNG/);
  });

  it('refuses a decompression bomb by its IHDR, before decoding', async () => {
    const bomb = withChunk(png, 'IHDR', (data) => {
      data.setUint32(0, 100_000);
      data.setUint32(4, 100_000);
    });
    expect(reasonOf(await validateImageResult(bomb, { width: 100_000, height: 100_000 }))).toBe('the PNG claims 100000x100000 pixels, more than the limit of 16777216, so it was not decoded');
    expect(reasonOf(await validateImageResult(png, SIZE, { maxPixels: 1000 }))).toMatch(/64x48 pixels, more than the limit of 1000/);
  });

  it('refuses a damaged chunk, bytes after IEND, a file over the byte limit, and a grey PNG', async () => {
    const damaged = Uint8Array.from(png);
    damaged[17] ^= 0x01;
    expect(reasonOf(await validateImageResult(damaged, SIZE))).toBe('the PNG\'s "IHDR" chunk at byte 8 fails its CRC check, so the upload is damaged');
    const polyglot = Buffer.concat([png, Buffer.from('PK\x03\x04 a zip file')]);
    expect(reasonOf(await validateImageResult(polyglot, SIZE))).toBe('the PNG has 15 bytes after its IEND chunk, which a result must not carry');
    expect(reasonOf(await validateImageResult(png, SIZE, { maxBytes: 100 }))).toBe(`the image has ${png.length} bytes, more than the limit of 100`);
    const grey = await sharp(pixels(64, 48, 1), { raw: { width: 64, height: 48, channels: 1 } }).toColourspace('b-w').png().toBuffer();
    expect(reasonOf(await validateImageResult(grey, SIZE))).toBe('the PNG has colour type 0 at 8 bits, expected 8-bit RGB or RGBA');
  });
});
