import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTinyModelConfig, ensureTinyModel, writeTinyModel } from '../tiny-model/index.ts';
import type { TinyModelConfig } from '../tiny-model/index.ts';
import { GenerationRequestError } from './generation-request.ts';
import type { GenerationRequest } from './generation-request.ts';
import { loadStableDiffusionModel } from './model-directory.ts';
import type { StableDiffusionModel } from './model-directory.ts';
import { retypeModelInput } from './retype-model-input.ts';
import { generate } from './text-to-image.ts';
import type { GenerationProgress } from './text-to-image.ts';

const logger = pino({ level: 'silent' });
const PROMPT = 'a red star on a blue background';
const base: GenerationRequest = { prompt: PROMPT, steps: 6, guidanceScale: 7.5, seed: 1234 };

/** A smaller, differently shaped tiny model: 32x32 images, 3 latent channels, a 4x VAE, three UNet levels, 32 tokens. */
function otherConfig(): TinyModelConfig {
  const config = defaultTinyModelConfig();
  return {
    ...config,
    seed: 7,
    imageSize: 32,
    latentChannels: 3,
    text: { ...config.text, width: 32, layers: 1, maxTokens: 32 },
    unet: { blockOutChannels: [16, 32, 32], crossAttention: [false, true, true], layersPerBlock: 1, heads: 2, normGroups: 8 },
    vae: { blockOutChannels: [16, 16, 16], layersPerBlock: 1, normGroups: 8 },
  };
}

let dir = '';
let tiny: StableDiffusionModel;
let variant: StableDiffusionModel;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teambooth-t2i-'));
  tiny = await loadStableDiffusionModel(await ensureTinyModel(join(dir, 'models')), { device: 'cpu', logger });
  // The variant's metadata differs the way real exports do: int64 token ids, a float timestep of
  // shape [1], float16 text states.
  const variantDir = join(dir, 'variant');
  await writeTinyModel(variantDir, otherConfig());
  await retypeModelInput(join(variantDir, 'text_encoder/model.onnx'), 'input_ids', 'int64', ['batch', 32]);
  const unet = join(variantDir, 'unet/model.onnx');
  const external = { externalData: { location: 'model.onnx_data' } };
  await retypeModelInput(unet, 'timestep', 'float32', [1], external);
  await retypeModelInput(unet, 'encoder_hidden_states', 'float16', ['batch', 32, 32], external);
  variant = await loadStableDiffusionModel(variantDir, { device: 'cpu', logger });
});

afterAll(async () => {
  await tiny?.release();
  await variant?.release();
  await rm(dir, { recursive: true, force: true });
});

const bytesOf = (images: ReadonlyArray<{ data: Uint8Array }>) => images.map((image) => Buffer.from(image.data));

describe('generate (tiny model, CPU)', () => {
  it('makes count images of the requested size, one seed each', async () => {
    const result = await generate(tiny, { ...base, count: 3 });
    expect(result.images).toHaveLength(3);
    for (const image of result.images) {
      expect([image.width, image.height, image.data.length]).toEqual([64, 64, 64 * 64 * 3]);
    }
    expect(result.seeds).toEqual([1234, 1235, 1236]);
    expect(result.images.map((image) => image.seed)).toEqual([1234, 1235, 1236]);
    expect(result).toMatchObject({ seed: 1234, provider: 'cpu', model: 'teambooth-tiny', scheduler: 'ddim', steps: 6, width: 64, height: 64, warnings: [] });
    expect(result.timings.stepMs).toHaveLength(6);
    // Each image is its own seed's image: regenerating one alone gives the same pixels.
    const alone = await generate(tiny, { ...base, seed: 1235 });
    expect(bytesOf(alone.images)[0]).toEqual(bytesOf(result.images)[1]);
  });

  it('is deterministic: same seed, same bytes; another seed, another image', async () => {
    const a = await generate(tiny, base);
    const b = await generate(tiny, base);
    const c = await generate(tiny, { ...base, seed: 1235 + 1000 });
    expect(bytesOf(b.images)).toEqual(bytesOf(a.images));
    expect(bytesOf(c.images)).not.toEqual(bytesOf(a.images));
  });

  it('wraps seeds past 2^32 - 1 and draws a seed from randomSeed when none is given', async () => {
    expect((await generate(tiny, { ...base, steps: 1, seed: 4294967295, count: 2 })).seeds).toEqual([4294967295, 0]);
    const { seed: _, ...noSeed } = base;
    const drawn = await generate(tiny, { ...noSeed, steps: 1 }, { randomSeed: () => 99 });
    expect(drawn.seed).toBe(99);
  });

  it('guidance scale and negative prompt change the image; with guidance 1 the negative prompt is ignored (and said so)', async () => {
    const guided = bytesOf((await generate(tiny, base)).images);
    const unguided = await generate(tiny, { ...base, guidanceScale: 1 });
    const negative = bytesOf((await generate(tiny, { ...base, negativePrompt: 'a green circle' })).images);
    expect(bytesOf(unguided.images)).not.toEqual(guided);
    expect(negative).not.toEqual(guided);
    const ignored = await generate(tiny, { ...base, guidanceScale: 1, negativePrompt: 'a green circle' });
    expect(bytesOf(ignored.images)).toEqual(bytesOf(unguided.images));
    expect(ignored.warnings).toEqual([expect.stringMatching(/negative prompt has no effect with guidance scale 1/)]);
  });

  it('runs every scheduler, each to a different image', async () => {
    const images = new Set<string>();
    for (const scheduler of ['ddim', 'euler', 'dpmpp-2m'] as const) {
      const result = await generate(tiny, { ...base, scheduler });
      expect(result.scheduler).toBe(scheduler);
      images.add(Buffer.from(result.images[0]!.data).toString('base64'));
    }
    expect(images.size).toBe(3);
  });

  it('reports progress once per step', async () => {
    const seen: GenerationProgress[] = [];
    await generate(tiny, { ...base, steps: 4 }, { onProgress: (progress) => seen.push(progress) });
    expect(seen).toEqual([1, 2, 3, 4].map((step) => ({ step, steps: 4 })));
  });

  it('stops between steps when aborted, with an AbortError', async () => {
    const abort = new AbortController();
    const seen: number[] = [];
    const run = generate(tiny, { ...base, steps: 10 }, {
      signal: abort.signal,
      onProgress: ({ step }) => {
        seen.push(step);
        if (step === 3) abort.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([1, 2, 3]);
    await expect(generate(tiny, base, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('reports a truncated prompt with the words the model never saw', async () => {
    const long = `${PROMPT} ${Array.from({ length: 40 }, () => 'a small green square').join(' ')}`;
    const result = await generate(tiny, { ...base, prompt: long, steps: 1 });
    expect(result.tokens.prompt).toMatchObject({ truncated: true, maxTokens: 75 });
    expect(result.tokens.prompt.tokenCount).toBeGreaterThan(75);
    expect(result.warnings[0]).toMatch(/the prompt has \d+ tokens but the model reads 75; it never saw: "(a small green square ?)+/);
  });

  it('refuses bad requests with a message saying what is allowed', async () => {
    const refuse = async (request: Partial<GenerationRequest>) => {
      const error = await generate(tiny, { ...base, ...request }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(GenerationRequestError);
      return (error as GenerationRequestError).message;
    };
    expect(await refuse({ prompt: '' })).toMatch(/^prompt must not be empty/);
    expect(await refuse({ width: 128 })).toBe('width must be 64: this model was exported for one image size only (got 128)');
    expect(await refuse({ steps: 151 })).toBe('steps must be an integer from 1 to 150 (got 151)');
    expect(await refuse({ guidanceScale: 0 })).toMatch(/^guidanceScale must be a number from 1 \(no guidance\) to 30/);
    expect(await refuse({ count: 0 })).toBe('count must be an integer from 1 to 4 (got 0)');
    expect(await refuse({ scheduler: 'lms' as never })).toBe('scheduler must be one of ddim, euler, dpmpp-2m (got "lms")');
  });
});

describe('generate (a differently sized model with int64 ids, float [1] timestep, float16 text states)', () => {
  it('reads every size and dtype from the model and runs unchanged', async () => {
    expect(variant.io.inputIds.dtype).toBe('int64');
    expect(variant.io.timestep).toMatchObject({ dtype: 'float32', dims: [1] });
    expect(variant.io.encoderHiddenStates.dtype).toBe('float16');
    expect(variant.geometry).toMatchObject({ latentChannels: 3, latentScale: 4, nativeWidth: 32, nativeHeight: 32, maxTokens: 32 });
    const first = await generate(variant, { ...base, count: 2 });
    expect(first.images.map((image) => [image.width, image.height, image.data.length])).toEqual([
      [32, 32, 32 * 32 * 3],
      [32, 32, 32 * 32 * 3],
    ]);
    expect(first.tokens.prompt.maxTokens).toBe(30);
    const again = await generate(variant, { ...base, count: 2 });
    expect(bytesOf(again.images)).toEqual(bytesOf(first.images));
    expect(bytesOf(first.images)[0]).not.toEqual(bytesOf(first.images)[1]);
    expect((await generate(variant, { ...base, scheduler: 'euler' })).images[0]!.width).toBe(32);
  });
});
