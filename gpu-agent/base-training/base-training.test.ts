import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { normalValues, Prng } from '../random/prng.ts';
import type { HostTensor } from '../onnx/runtime.ts';
import { NoiseSchedule } from '../schedulers/noise-schedule.ts';
import { generateDataset } from '../tiny-world/dataset.ts';
import { ClipTokenizer } from '../tokenizer/clip-tokenizer.ts';
import { buildTinyVocabulary } from '../tokenizer/tiny-vocabulary.ts';
import type { TinyModelConfig } from '../tiny-model/tiny-model-config.ts';
import { defaultAdamWSettings } from '../training/append-adamw.ts';
import { AUTOENCODER_IO, buildAutoencoderLossGraph } from './autoencoder-loss-graph.ts';
import { compileTrainingStep } from './compile-training-step.ts';
import { buildDenoiserLossGraph, DENOISER_IO } from './denoiser-loss-graph.ts';
import { learningRateAt } from './learning-rate-schedule.ts';
import { imagesToTensor, minSnrTimestepDistribution, sampleDenoiserBatch, subsetPool } from './tiny-world-batches.ts';
import { createWeightTrainer, type WeightTrainer } from './weight-trainer.ts';
import { fileKeyOf, fromFileTensors, toFileTensors } from './weight-keys.ts';

const logger = pino({ level: 'silent' });

/** A narrow teambooth-tiny (same layout and image size, fewer channels), so a few steps take well under a second. */
const config: TinyModelConfig = {
  seed: 3,
  imageSize: 64,
  latentChannels: 4,
  text: { width: 32, layers: 1, heads: 2, mlpRatio: 2, maxTokens: 16 },
  unet: { blockOutChannels: [16, 32], crossAttention: [false, true], layersPerBlock: 1, heads: 2, normGroups: 4 },
  vae: { blockOutChannels: [8, 8, 8, 8], layersPerBlock: 1, normGroups: 4 },
  scheduler: { predictionType: 'v_prediction', timestepSpacing: 'trailing' },
};
const optimizer = { ...defaultAdamWSettings(), weightDecay: 0 };

async function losses(trainer: WeightTrainer, feeds: Parameters<WeightTrainer['step']>[0], steps: number, learningRate: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < steps; i++) out.push((await trainer.step(feeds, learningRate)).loss);
  return out;
}

describe('base-model training stages', () => {
  const samples = generateDataset(5, 4);

  it('the autoencoder stage lowers its reconstruction loss on a fixed batch', async () => {
    const loss = buildAutoencoderLossGraph(config, { latentNoise: 0.1, latentPenalty: 1e-3, l1Weight: 1 });
    const compiled = compileTrainingStep(loss, optimizer);
    expect(compiled.parameters.some((p) => p.name.startsWith('vae_encoder/'))).toBe(true);
    expect(compiled.parameters.every((p) => p.name.startsWith('vae_encoder/') || p.name.startsWith('vae_decoder/'))).toBe(true);
    const decoderOnly = compileTrainingStep(loss, optimizer, (name) => name.startsWith('vae_decoder/'));
    expect(decoderOnly.parameters.length).toBeGreaterThan(0);
    expect(decoderOnly.parameters.every((p) => p.name.startsWith('vae_decoder/'))).toBe(true);
    const trainer = await createWeightTrainer(compiled, { device: 'cpu', logger, intraOpThreads: 1 });
    try {
      const feeds = {
        [AUTOENCODER_IO.images]: imagesToTensor(samples.map((s) => s.image)),
        [AUTOENCODER_IO.noise]: { dtype: 'float32' as const, dims: [4, 4, 8, 8], data: normalValues(new Prng(1), 4 * 4 * 8 * 8) },
      };
      const curve = await losses(trainer, feeds, 12, 3e-3);
      expect(curve.every(Number.isFinite)).toBe(true);
      expect(curve[curve.length - 1]!).toBeLessThan(0.7 * curve[0]!);
    } finally {
      await trainer.release();
    }
  });

  it('the denoiser stage trains text encoder and UNet jointly and lowers the epsilon loss', async () => {
    const { vocab, merges } = buildTinyVocabulary();
    const tokenizer = new ClipTokenizer(vocab, merges, { maxLength: config.text.maxTokens });
    const compiled = compileTrainingStep(buildDenoiserLossGraph(config, { size: tokenizer.vocabSize, endOfTextId: tokenizer.eosId }), optimizer);
    const names = compiled.parameters.map((p) => p.name);
    expect(names.some((n) => n.startsWith('text_encoder/text_model.'))).toBe(true);
    expect(names.some((n) => n.startsWith('unet/mid_block.'))).toBe(true);
    const pool = {
      latents: normalValues(new Prng(2), 4 * 4 * 8 * 8),
      latentDims: [4, 8, 8],
      ids: samples.map((s) => tokenizer.encode(s.caption).ids),
      emptyIds: tokenizer.encode('').ids,
    };
    const schedule = new NoiseSchedule({ numTrainTimesteps: 1000, betaStart: 0.00085, betaEnd: 0.012, betaSchedule: 'scaled_linear' });
    const batch = sampleDenoiserBatch(pool, { rows: 8, captionDropout: 0.1, alphasCumprod: schedule.alphasCumprod, predictionType: config.scheduler.predictionType }, new Prng(3));
    const feeds = { [DENOISER_IO.inputIds]: batch.inputIds, [DENOISER_IO.sample]: batch.sample, [DENOISER_IO.timestep]: batch.timestep, [DENOISER_IO.target]: batch.target };
    const run = async (): Promise<{ curve: number[]; weights: ReadonlyMap<string, Float32Array> }> => {
      const trainer = await createWeightTrainer(compiled, { device: 'cpu', logger, intraOpThreads: 1 });
      try {
        const curve = await losses(trainer, feeds, 10, 3e-3);
        return { curve, weights: new Map([...trainer.weights()].map(([k, v]) => [k, Float32Array.from(v)])) };
      } finally {
        await trainer.release();
      }
    };
    const first = await run();
    expect(first.curve[first.curve.length - 1]!).toBeLessThan(0.8 * first.curve[0]!);
    const tokenTable = 'text_encoder/text_model.embeddings.token_embedding.weight';
    expect(first.weights.get(tokenTable)).not.toEqual(compiled.initial.get(tokenTable));
    const again = await run();
    expect(again.curve).toEqual(first.curve);
    expect(again.weights.get('unet/conv_out.weight')).toEqual(first.weights.get('unet/conv_out.weight'));
  });

  it('maps training-graph names to weights-file keys and back', () => {
    expect(fileKeyOf('unet/conv_in.weight')).toBe('unet.conv_in.weight');
    expect(fileKeyOf('vae_decoder/decoder.conv_in.bias')).toBe('vae.decoder.conv_in.bias');
    expect(fileKeyOf('text_encoder/text_model.final_layer_norm.weight')).toBe('text_encoder.text_model.final_layer_norm.weight');
    const file = toFileTensors(new Map([['vae_encoder/quant_conv.bias', Float32Array.of(1, 2)]]), new Map([['vae_encoder/quant_conv.bias', [2]]]));
    expect([...fromFileTensors(file, ['vae_encoder/quant_conv.bias', 'unet/conv_in.bias']).keys()]).toEqual(['vae_encoder/quant_conv.bias']);
  });

  it('samples timesteps as Min-SNR weighting would weight them: nearly clean latents rarely, the noisy ones evenly', () => {
    const schedule = new NoiseSchedule({ numTrainTimesteps: 1000, betaStart: 0.00085, betaEnd: 0.012, betaSchedule: 'scaled_linear' });
    const cdf = minSnrTimestepDistribution(schedule.alphasCumprod, 5);
    expect(cdf[999]).toBeCloseTo(1, 12);
    for (let t = 1; t < 1000; t++) expect(cdf[t]!).toBeGreaterThanOrEqual(cdf[t - 1]!);
    // SNR is above 5 for the first ~150 steps (weight 5/SNR); beyond, every step weighs 1.
    expect(cdf[99]!).toBeLessThan(0.03);
    expect(cdf[999]! - cdf[998]!).toBeCloseTo(cdf[600]! - cdf[599]!, 12);
    const pool = { latents: new Float32Array(4), latentDims: [4, 1, 1], ids: [[1, 2]], emptyIds: [1, 0] };
    const batch = sampleDenoiserBatch(pool, { rows: 2000, captionDropout: 0, alphasCumprod: schedule.alphasCumprod, predictionType: 'epsilon', timestepCdf: cdf }, new Prng(4));
    const early = [...(batch.timestep.data as BigInt64Array)].filter((t) => t < 100n).length;
    expect(early / 2000).toBeLessThan(0.03);
    expect(() => minSnrTimestepDistribution(schedule.alphasCumprod, 0)).toThrow(/gamma must be positive/);
  });

  it('draws a curriculum batch only from the pool subset: every row is one of the chosen images with its own caption', () => {
    const schedule = new NoiseSchedule({ numTrainTimesteps: 1000, betaStart: 0.00085, betaEnd: 0.012, betaSchedule: 'scaled_linear' });
    const latents = Float32Array.from({ length: 3 * 2 }, (_, i) => 10 * Math.floor(i / 2) + (i % 2));
    const pool = { latents, latentDims: [2, 1, 1], ids: [[1, 10], [1, 11], [1, 12]], emptyIds: [1, 0] };
    const subset = subsetPool(pool, [2, 0]);
    expect([...subset.latents]).toEqual([20, 21, 0, 1]);
    expect(subset.ids).toEqual([[1, 12], [1, 10]]);
    // At t = 0 the noisy latent is nearly the clean one, so each row shows which image it drew.
    const batch = sampleDenoiserBatch(subset, { rows: 200, captionDropout: 0, alphasCumprod: schedule.alphasCumprod, predictionType: 'epsilon', timestepCdf: Float64Array.from({ length: 1000 }, () => 1) }, new Prng(3));
    const ids = batch.inputIds.data as Int32Array;
    const sample = batch.sample.data as Float32Array;
    const drawn = new Set<number>();
    for (let r = 0; r < 200; r++) {
      const image = Math.round(sample[2 * r]! / 10);
      expect([0, 2]).toContain(image);
      expect(ids[2 * r + 1]).toBe(10 + image);
      drawn.add(image);
    }
    expect(drawn.size).toBe(2);
    expect(() => subsetPool(pool, [])).toThrow(/at least one row/);
  });

  it('gives a v-prediction model the target v, from which a sampler gets the clean latent back at any timestep', () => {
    const schedule = new NoiseSchedule({ numTrainTimesteps: 1000, betaStart: 0.00085, betaEnd: 0.012, betaSchedule: 'scaled_linear' });
    const latents = Float32Array.from({ length: 2 * 16 }, (_, i) => Math.sin(i + 1));
    const pool = { latents, latentDims: [4, 2, 2], ids: [[1, 2], [1, 3]], emptyIds: [1, 0] };
    const settings = { rows: 40, captionDropout: 0, alphasCumprod: schedule.alphasCumprod };
    const v = sampleDenoiserBatch(pool, { ...settings, predictionType: 'v_prediction' }, new Prng(5));
    const eps = sampleDenoiserBatch(pool, { ...settings, predictionType: 'epsilon' }, new Prng(5));
    expect(v.sample.data).toEqual(eps.sample.data);
    const timesteps = [...(v.timestep.data as BigInt64Array)].map(Number);
    expect(Math.max(...timesteps)).toBeGreaterThan(900);
    timesteps.forEach((t, r) => {
      const abar = schedule.alphasCumprod[t]!;
      const row = (data: HostTensor['data'], j: number): number => Number(data[r * 16 + j]);
      const clean = Array.from({ length: 16 }, (_, j) => Math.sqrt(abar) * row(v.sample.data, j) - Math.sqrt(1 - abar) * row(v.target.data, j));
      const source = [0, 1].find((index) => Math.abs(clean[0]! - latents[index * 16]!) < 1e-4)!;
      clean.forEach((value, j) => expect(value).toBeCloseTo(latents[source * 16 + j]!, 4));
      expect(row(v.target.data, 0)).not.toBeCloseTo(row(eps.target.data, 0), 3);
    });
  });

  it('warms the learning rate up linearly, then decays it by a cosine to the floor', () => {
    const schedule = { peak: 1, warmupSteps: 10, totalSteps: 110, floor: 0.1 };
    expect(learningRateAt(schedule, 0)).toBeCloseTo(0.1);
    expect(learningRateAt(schedule, 9)).toBeCloseTo(1);
    expect(learningRateAt(schedule, 60)).toBeCloseTo(0.55);
    expect(learningRateAt(schedule, 110)).toBeCloseTo(0.1);
  });
});
