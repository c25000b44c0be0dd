import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imagineParamsSchema, trainParamsSchema } from '../../cluster/jobs/job-params.ts';
import { parseGenerationParameters } from '../image/generation-parameters.ts';
import { readPngText } from '../image/png.ts';
import { parseLoraFile } from '../lora/lora-file.ts';
import { JobInputError } from './agent-errors.ts';
import type { RunnerContext, RunnerProgress } from './job-runner.ts';
import { TINY_MODEL_VERSION, type LoadedModel, type ModelHost } from './model-host.ts';
import { runImagineJob } from './run-imagine-job.ts';
import { runTrainJob } from './run-train-job.ts';
import { testModelHost } from './testing/test-model-host.ts';
import { TINY_TRAIN_DEFAULTS } from '../tiny-model/write-tiny-model.ts';

const PHOTOS = ['photo-1.png', 'photo-2.png', 'photo-3.png'];

let dir = '';
let host: ModelHost;
let loaded: LoadedModel;
let photos: Map<string, Uint8Array>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teambooth-agent-runners-'));
  host = testModelHost(dir);
  loaded = await host.get(TINY_MODEL_VERSION, new AbortController().signal);
  const fixtures = join(import.meta.dirname, '../../test/fixtures/subjects/smiley');
  photos = new Map(await Promise.all(PHOTOS.map(async (name) => [name, new Uint8Array(await readFile(join(fixtures, name)))] as const)));
});
afterAll(async () => {
  await host.release();
  await rm(dir, { recursive: true, force: true });
});

function context(inputs: ReadonlyMap<string, Uint8Array> = new Map()): RunnerContext & { progress: RunnerProgress[] } {
  const progress: RunnerProgress[] = [];
  return { loaded, inputs, signal: new AbortController().signal, onProgress: (p) => progress.push(p), logger: pino({ level: 'silent' }), now: () => 0, workDir: join(dir, 'work'), basis: null, progress };
}

const imagine = (params: Record<string, unknown>) => ({ ...imagineParamsSchema.parse({ prompt: 'a red star on a blue background', ...params }), seed: 42 });
const train = (params: Record<string, unknown>) => ({ ...trainParamsSchema.parse({ uploadId: 'u-0123456789abcdef', photos: PHOTOS, token: 'zxq', classWord: 'glyph', ...params }), seed: 5 });

describe('runImagineJob', () => {
  it('makes image-0.png, image-1.png: decodable 64x64 PNGs of seeds 42 and 43 with their parameters', async () => {
    const ctx = context();
    const outputs = await runImagineJob(imagine({ steps: 2, width: 64, height: 64, count: 2 }), ctx);
    expect(outputs.map((o) => [o.name, o.contentType])).toEqual([
      ['image-0.png', 'image/png'],
      ['image-1.png', 'image/png'],
    ]);
    for (const [i, output] of outputs.entries()) {
      const { info } = await sharp(output.bytes).raw().toBuffer({ resolveWithObject: true });
      expect(info).toMatchObject({ width: 64, height: 64, channels: 3 });
      expect(parseGenerationParameters(readPngText(output.bytes)['parameters'] ?? '')).toMatchObject({ prompt: 'a red star on a blue background', steps: 2, seed: 42 + i, width: 64, height: 64 });
    }
    expect(ctx.progress).toEqual([
      { step: 1, total: 2, phase: 'denoising' },
      { step: 2, total: 2, phase: 'denoising' },
    ]);
  });

  it('refuses for good what the model cannot do: a LoRA, a size it was not exported for', async () => {
    await expect(runImagineJob(imagine({ lora: { jobId: 'j-1', scale: 1 } }), context())).rejects.toThrow(JobInputError);
    await expect(runImagineJob(imagine({ lora: { jobId: 'j-1', scale: 1 } }), context())).rejects.toThrow('not supported by GPU agents yet');
    await expect(runImagineJob(imagine({ steps: 1, width: 128, height: 128 }), context())).rejects.toThrow(/^model .* cannot run this job: width must be 64/);
  });
});

describe('runTrainJob', () => {
  it('trains a LoRA from the photos, written as teambooth train writes it, with its defaults for settings left out', async () => {
    const ctx = context(photos);
    const [output, ...rest] = await runTrainJob(train({ steps: 3 }), ctx);
    expect(rest).toEqual([]);
    expect(output).toMatchObject({ name: 'lora.safetensors', contentType: 'application/octet-stream' });
    const parsed = parseLoraFile(output!.bytes);
    // The learning rate and rank the job left out are the model's own defaults (its teambooth.json).
    expect(parsed.info).toMatchObject({ token: 'zxq', classWord: 'glyph', steps: 3, seed: 5, learningRate: TINY_TRAIN_DEFAULTS.learningRate, batchSize: TINY_TRAIN_DEFAULTS.batchSize, mergeMethod: 'sum' });
    expect(parsed.info?.baseModelHash).toBe(await loaded.baseModelSha256(new AbortController().signal));
    expect(parsed.metadata).toMatchObject({ ss_network_dim: String(TINY_TRAIN_DEFAULTS.rank), ss_network_alpha: String(TINY_TRAIN_DEFAULTS.rank) });
    expect(ctx.progress.map((p) => [p.step, p.total, p.phase])).toEqual([
      [1, 3, 'training'],
      [2, 3, 'training'],
      [3, 3, 'training'],
    ]);
    expect(ctx.progress.every((p) => Number.isFinite(p.loss))).toBe(true);
  });

  it('fails for good on a photo that does not decode', async () => {
    const broken = new Map(photos).set('photo-2.png', Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 1, 2, 3));
    const error = await runTrainJob(train({ steps: 1 }), context(broken)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobInputError);
    expect((error as Error).message).toMatch(/^photo "photo-2\.png" is not an image that can be read/);
  });
});
