import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { formatGenerationParameters, generationTextEntries, parseGenerationParameters } from './generation-parameters.ts';
import type { GenerationParameters } from './generation-parameters.ts';
import { encodePng, readPngText } from './png.ts';
import { crc32, insertPngTextChunks, PngFormatError, readPngTextChunks } from './png-text-chunks.ts';
import { deflateSync } from 'node:zlib';

function gradient(width: number, height: number) {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set([i % 256, (i * 7) % 256, 255 - (i % 256)], i * 3);
  return { width, height, data };
}

const PARAMS: GenerationParameters = {
  prompt: 'a red star on a blue background',
  negativePrompt: 'blurry, green',
  steps: 20,
  scheduler: 'dpmpp-2m',
  guidanceScale: 7.5,
  seed: 4294967295,
  width: 64,
  height: 48,
  model: 'teambooth-tiny',
};

describe('PNG text chunks', () => {
  it('computes the CRC-32 of the PNG specification', () => {
    expect(crc32(Buffer.from('IEND', 'latin1'))).toBe(0xae426082);
    expect(crc32(Buffer.from('123456789', 'latin1'))).toBe(0xcbf43926);
  });

  it('encodes RGB pixels that decode back exactly, with the text chunks before IEND', async () => {
    const image = gradient(16, 8);
    const png = await encodePng(image, { text: [{ keyword: 'parameters', text: 'a\nb' }, { keyword: 'Title', text: 'étoile ★' }] });
    const decoded = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(decoded.info).toMatchObject({ width: 16, height: 8, channels: 3 });
    expect(new Uint8Array(decoded.data)).toEqual(image.data);
    expect(readPngText(png)).toEqual({ parameters: 'a\nb', Title: 'étoile ★' });
    // Latin-1 text goes in tEXt, other text in iTXt; IEND stays last.
    expect(png.includes(Buffer.from('tEXtparameters'))).toBe(true);
    expect(png.includes(Buffer.from('iTXtTitle'))).toBe(true);
    expect(png.subarray(png.length - 8, png.length - 4).toString('latin1')).toBe('IEND');
  });

  it('gives equal bytes for equal pixels and text', async () => {
    const a = await encodePng(gradient(8, 8), { text: generationTextEntries(PARAMS) });
    const b = await encodePng(gradient(8, 8), { text: generationTextEntries(PARAMS) });
    expect(a.equals(b)).toBe(true);
  });

  it('reads zTXt and compressed iTXt chunks too', async () => {
    const plain = await encodePng(gradient(2, 2));
    const ztxt = Buffer.concat([Buffer.from('Comment\0\0', 'latin1'), deflateSync(Buffer.from('squeezed', 'latin1'))]);
    const itxt = Buffer.concat([Buffer.from('Note\0\x01\0en\0Notiz\0', 'latin1'), deflateSync(Buffer.from('ünïcödé', 'utf8'))]);
    const withChunks = insertRawChunks(plain, [['zTXt', ztxt], ['iTXt', itxt]]);
    expect(readPngTextChunks(withChunks)).toEqual([
      { keyword: 'Comment', text: 'squeezed' },
      { keyword: 'Note', text: 'ünïcödé' },
    ]);
  });

  it('rejects a damaged file: bad signature, CRC mismatch, truncation', async () => {
    const png = await encodePng(gradient(4, 4), { text: [{ keyword: 'k', text: 'v' }] });
    expect(() => readPngTextChunks(Buffer.from('not a png at all'))).toThrow(PngFormatError);
    const flipped = Buffer.from(png);
    const at = flipped.indexOf(Buffer.from('tEXtk')) + 5;
    flipped[at + 1] ^= 0xff;
    expect(() => readPngTextChunks(flipped)).toThrow(/CRC mismatch in the tEXt chunk/);
    expect(() => readPngTextChunks(png.subarray(0, png.length - 20))).toThrow(/truncated/);
  });

  it('refuses keywords PNG does not allow', async () => {
    const png = await encodePng(gradient(2, 2));
    expect(() => insertPngTextChunks(png, [{ keyword: '', text: 'x' }])).toThrow(/1 to 79/);
    expect(() => insertPngTextChunks(png, [{ keyword: 'k'.repeat(80), text: 'x' }])).toThrow(/1 to 79/);
    expect(() => insertPngTextChunks(png, [{ keyword: ' lead', text: 'x' }])).toThrow(/leading/);
  });
});

describe('generation parameters', () => {
  it('writes the AUTOMATIC1111 parameters text', () => {
    expect(formatGenerationParameters(PARAMS)).toBe(
      'a red star on a blue background\nNegative prompt: blurry, green\n' +
        'Steps: 20, Sampler: DPM++ 2M, CFG scale: 7.5, Seed: 4294967295, Size: 64x48, Model: teambooth-tiny',
    );
    const { negativePrompt: _, ...noNegative } = PARAMS;
    expect(formatGenerationParameters({ ...noNegative, scheduler: 'ddim' })).toBe(
      'a red star on a blue background\nSteps: 20, Sampler: DDIM, CFG scale: 7.5, Seed: 4294967295, Size: 64x48, Model: teambooth-tiny',
    );
  });

  it('round-trips through a PNG, multi-line prompts and awkward model names included', async () => {
    const awkward: GenerationParameters = { ...PARAMS, prompt: 'line one,\nline two: "quoted"', scheduler: 'euler', model: 'my model, v2: "best"' };
    for (const params of [PARAMS, awkward]) {
      const png = await encodePng(gradient(4, 4), { text: generationTextEntries(params) });
      const text = readPngText(png);
      expect(text['Software']).toBe('teambooth');
      expect(parseGenerationParameters(text['parameters'] ?? '')).toEqual(params);
    }
  });

  it('says which setting is missing', () => {
    expect(() => parseGenerationParameters('a cat\nSteps: 20, Sampler: DDIM')).toThrow(/lack "Size"/);
  });
});

function insertRawChunks(png: Buffer, chunks: Array<[string, Buffer]>): Buffer {
  const iend = png.length - 12;
  const encoded = chunks.map(([type, data]) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    data.copy(out, 8);
    out.writeUInt32BE(crc32(out, 4, 8 + data.length), 8 + data.length);
    return out;
  });
  return Buffer.concat([png.subarray(0, iend), ...encoded, png.subarray(iend)]);
}
