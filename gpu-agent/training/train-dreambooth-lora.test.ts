import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLoraFile, serializeLoraFile } from '../lora/lora-file.ts';
import { mergeLoraIntoWeights } from '../lora/merge-lora.ts';
import { findLoraTargets } from '../lora/find-lora-targets.ts';
import { orthogonalDownProjections } from '../lora/orthogonal-basis.ts';
import { normalValues, runGraph } from '../lora/testing/lora-test-support.ts';
import type { OnnxGraph } from '../onnx/ir.ts';
import { readModel } from '../onnx/read-model.ts';
import type { HostTensor } from '../onnx/runtime.ts';
import { loadStableDiffusionModel, type StableDiffusionModel } from '../pipeline/model-directory.ts';
import { createScheduler } from '../schedulers/create-scheduler.ts';
import { ensureTinyModel } from '../tiny-model/index.ts';
import { seededRandom } from '../tiny-model/seeded-random.ts';
import { DreamBoothRequestError, type DreamBoothRequest } from './dreambooth-request.ts';
import { encodeTrainingData } from './encode-training-data.ts';
import { InstanceImageError } from './instance-images.ts';
import { glyphPhotos } from './testing/glyph-photos.ts';
import { trainDreamBoothLora, type TrainingProgress } from './train-dreambooth-lora.ts';

const logger = pino({ level: 'silent' });
/** One thread per session: test files run in parallel on a shared machine. */
const THREADS = 1;
let dir = '';
let model: StableDiffusionModel;
let unet: OnnxGraph;
let request: DreamBoothRequest;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teambooth-dreambooth-'));
  const modelDir = await ensureTinyModel(join(dir, 'models'));
  model = await loadStableDiffusionModel(modelDir, { device: 'cpu', logger, intraOpThreads: THREADS });
  unet = (await readModel(join(modelDir, 'unet/model.onnx'))).graph;
  request = { images: await glyphPhotos(3), token: 'zxq', classWord: 'glyph', steps: 100, learningRate: 3e-3, rank: 4, alpha: 4, seed: 1 };
});

afterAll(async () => {
  await model?.release();
  await rm(dir, { recursive: true, force: true });
});

/**
 * The denoising loss of a UNet graph on the subject: 12 fixed (photo, timestep, noise) samples,
 * timesteps spread over the schedule, conditioned on the instance prompt.
 */
async function subjectLoss(graph: OnnxGraph): Promise<number> {
  const data = await encodeTrainingData(model, { ...request, flip: false }, { device: 'cpu', logger });
  const scheduler = createScheduler(undefined, model.schedulerConfig);
  const random = seededRandom(5, 'subject-loss');
  const rows = 12;
  const latent = data.latentDims.reduce((a, b) => a * b, 1);
  const textSize = data.textDims[0] * data.textDims[1];
  const sample = new Float32Array(rows * latent);
  const target = new Float32Array(rows * latent);
  const text = new Float32Array(rows * textSize);
  const timesteps = new BigInt64Array(rows);
  for (let r = 0; r < rows; r++) {
    const t = 50 + Math.floor((900 * r) / rows);
    const noise = Float32Array.from({ length: latent }, () => random.normal());
    sample.set(scheduler.addNoise(data.instanceLatents[r % data.instanceLatents.length]!, noise, t), r * latent);
    target.set(noise, r * latent);
    text.set(data.instanceText, r * textSize);
    timesteps[r] = BigInt(t);
  }
  const feeds: Record<string, HostTensor> = {
    sample: { dtype: 'float32', dims: [rows, ...data.latentDims], data: sample },
    timestep: { dtype: 'int64', dims: [rows], data: timesteps },
    encoder_hidden_states: { dtype: 'float32', dims: [rows, ...data.textDims], data: text },
  };
  const prediction = await runGraph(graph, feeds);
  return prediction.reduce((sum, v, i) => sum + (v - target[i]!) ** 2, 0) / prediction.length;
}

describe('trainDreamBoothLora on the tiny model', () => {
  it('learns the subject: its denoising loss drops, and the saved LoRA reloads to the same model', async () => {
    const progress: TrainingProgress[] = [];
    const clock = { t: 0 };
    const result = await trainDreamBoothLora(model, request, { onProgress: (p) => progress.push(p), intraOpThreads: THREADS, now: () => (clock.t += 10) });
    expect(progress).toHaveLength(100);
    expect(progress[99]).toMatchObject({ step: 100, steps: 100, loss: result.losses[99] });
    expect(result.losses.every(Number.isFinite)).toBe(true);
    expect(result).toMatchObject({ prompt: 'a photo of zxq glyph', trained: 'both', provider: 'cpu', skippedSteps: 0 });
    expect(result.lora.layers).toHaveLength(32);
    expect(result.timings.trainMs).toBeGreaterThan(0);

    const before = await subjectLoss(unet);
    const after = await subjectLoss(mergeLoraIntoWeights(unet, result.lora));
    expect(after).toBeLessThan(0.9 * before);

    const file = serializeLoraFile(result.lora, { token: 'zxq', classWord: 'glyph', baseModelHash: '0'.repeat(64), steps: 100, finalLoss: result.finalLoss, seed: 1 });
    const reloaded = parseLoraFile(file);
    expect(reloaded.info?.finalLoss).toBe(result.finalLoss);
    expect(await subjectLoss(mergeLoraIntoWeights(unet, reloaded.lora))).toBe(after);
  });

  it('is deterministic for a seed, and stops between steps when aborted', async () => {
    const short = { ...request, steps: 8 };
    const a = await trainDreamBoothLora(model, short, { intraOpThreads: THREADS });
    const b = await trainDreamBoothLora(model, short, { intraOpThreads: THREADS });
    expect(b.losses).toEqual(a.losses);
    expect(Array.from(b.lora.layers[5]!.up)).toEqual(Array.from(a.lora.layers[5]!.up));

    const controller = new AbortController();
    const seen: number[] = [];
    const run = trainDreamBoothLora(model, short, {
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p.step);
        if (p.step === 3) controller.abort(new DOMException('cancelled by the member', 'AbortError'));
      },
    });
    await expect(run).rejects.toThrowError('cancelled by the member');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('preserves the prior with generated class images, and trains only up-projections when down is fixed', async () => {
    const prior = await trainDreamBoothLora(model, { ...request, steps: 4, priorPreservation: { weight: 0.5, classImageCount: 2, generationSteps: 2 } }, { intraOpThreads: THREADS });
    expect(prior.losses.every(Number.isFinite)).toBe(true);

    const fixedDown = new Map(findLoraTargets(unet).map((target, i) => [target.key, normalValues(4 * target.inFeatures, i, 0.1)]));
    const orthogonal = await trainDreamBoothLora(model, { ...request, steps: 3, fixedDown }, { intraOpThreads: THREADS });
    expect(orthogonal.trained).toBe('up');
    for (const layer of orthogonal.lora.layers) expect(Array.from(layer.down)).toEqual(Array.from(fixedDown.get(layer.key)!));
  });

  it('trains only up-projections on its slot of the orthogonal basis when given an orthogonal slot', async () => {
    const slot = { basisSeed: 7, slot: 2 };
    const result = await trainDreamBoothLora(model, { ...request, steps: 3, orthogonalSlot: slot }, { intraOpThreads: THREADS });
    expect(result.trained).toBe('up');
    const basis = orthogonalDownProjections(findLoraTargets(unet), request.rank, slot);
    expect(result.lora.layers).toHaveLength(basis.size);
    for (const layer of result.lora.layers) expect(Array.from(layer.down)).toEqual(Array.from(basis.get(layer.key)!));
    expect(result.lora.layers.some((layer) => layer.up.some((v) => v !== 0))).toBe(true);

    const fixedDown = new Map(basis);
    await expect(trainDreamBoothLora(model, { ...request, fixedDown, orthogonalSlot: slot })).rejects.toThrowError(/fixedDown and orthogonalSlot/);
    await expect(trainDreamBoothLora(model, { ...request, orthogonalSlot: { basisSeed: 7, slot: -1 } })).rejects.toThrowError(/orthogonalSlot\.slot/);
    await expect(trainDreamBoothLora(model, { ...request, orthogonalSlot: { basisSeed: 2 ** 32, slot: 0 } })).rejects.toThrowError(/orthogonalSlot\.basisSeed/);
  });

  it('refuses bad requests before training, saying what to change', async () => {
    await expect(trainDreamBoothLora(model, { ...request, token: 'two words' })).rejects.toThrowError(DreamBoothRequestError);
    await expect(trainDreamBoothLora(model, { ...request, token: 'two words', steps: 0 })).rejects.toThrowError(/token must be one word .*; steps Too small/);
    await expect(trainDreamBoothLora(model, { ...request, images: request.images.slice(0, 2) })).rejects.toThrowError(InstanceImageError);
    await expect(trainDreamBoothLora(model, { ...request, rank: 65 })).rejects.toThrowError(/rank 65 exceeds the size of/);
  });
});
