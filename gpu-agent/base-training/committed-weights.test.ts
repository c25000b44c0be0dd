import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureModelAutoencoderFidelity } from '../evaluation/autoencoder-fidelity.ts';
import { encodePng } from '../image/png.ts';
import { loadStableDiffusionModel } from '../pipeline/model-directory.ts';
import { generate } from '../pipeline/text-to-image.ts';
import { ensureTinyModel, tinyModelId } from '../tiny-model/ensure-tiny-model.ts';
import { defaultTinyModelConfig } from '../tiny-model/tiny-model-config.ts';
import { readCommittedWeights, WEIGHT_PREFIXES } from '../tiny-model/trained-weights.ts';
import { buildUnetGraph } from '../tiny-model/unet-graph.ts';
import { TINY_MODEL_SUMMARY_FILE, type TinyModelSummary } from '../tiny-model/write-tiny-model.ts';

const logger = pino({ level: 'silent' });

describe('the committed teambooth-tiny weights', () => {
  let root: string;
  let modelDir: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'teambooth-committed-weights-'));
    modelDir = await ensureTinyModel(join(root, 'cache'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('are what ensureTinyModel builds for the default config, under an id that names the weights', async () => {
    const committed = await readCommittedWeights();
    expect(committed, 'gpu-agent/tiny-model/weights/teambooth-tiny.safetensors is missing; run npm run train:tiny-base').toBeDefined();
    const { weights, sha256 } = committed!;
    expect(modelDir).toBe(join(root, 'cache', tinyModelId(defaultTinyModelConfig(), sha256)));
    expect(tinyModelId(defaultTinyModelConfig(), sha256)).not.toBe(tinyModelId());
    const summary = JSON.parse(await readFile(join(modelDir, TINY_MODEL_SUMMARY_FILE), 'utf8')) as TinyModelSummary;
    expect(summary.weights.kind).toBe('trained');
    const vaeConfig = JSON.parse(await readFile(join(modelDir, 'vae_decoder/config.json'), 'utf8')) as { scaling_factor: number };
    expect(vaeConfig.scaling_factor).toBe(weights.scalingFactor);
    const random = buildUnetGraph(defaultTinyModelConfig()).model.graph.initializers.find((i) => i.name === 'conv_in.weight')!;
    const trained = weights.tensors.get(`${WEIGHT_PREFIXES.unet}conv_in.weight`)!;
    expect(trained.shape).toEqual(random.dims);
    expect(Array.from(trained.data)).not.toEqual(Array.from(random.data as Float32Array));
  });

  it('give the same PNG for the same prompt and seed', async () => {
    const model = await loadStableDiffusionModel(modelDir, { device: 'cpu', logger, intraOpThreads: 1 });
    try {
      const request = { prompt: 'a big red circle on a blue background', seed: 7, steps: 20, guidanceScale: 7.5 };
      const first = await encodePng((await generate(model, request)).images[0]!);
      const second = await encodePng((await generate(model, request)).images[0]!);
      expect(first.equals(second)).toBe(true);
    } finally {
      await model.release();
    }
  });

  it('keep through their VAE what the oracle reads in most images: every background, nearly every large shape, a third of the small ones', async () => {
    const model = await loadStableDiffusionModel(modelDir, { device: 'cpu', logger, intraOpThreads: 1 });
    try {
      // gpu-agent/base-training/README.md quotes these figures: the ceiling of the base model's prompt fidelity.
      const fidelity = await measureModelAutoencoderFidelity(model, { device: 'cpu', logger, intraOpThreads: 1 });
      expect(fidelity.background.value).toBe(1);
      expect(fidelity.shapeBySize.large.value).toBeGreaterThan(0.85);
      expect(fidelity.shapeBySize.small.value).toBeLessThan(0.5);
      expect(fidelity.all.value).toBeGreaterThan(0.5);
      expect(fidelity.all.value).toBeLessThan(0.8);
    } finally {
      await model.release();
    }
  });
});
