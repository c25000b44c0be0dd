import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLoraTargets } from '../lora/find-lora-targets.ts';
import { initLoraWeights, type LoraWeights } from '../lora/lora-weights.ts';
import { normalValues, symbolDim } from '../lora/testing/lora-test-support.ts';
import { torchStyleUnetFragment } from '../lora/testing/torch-style-unet-fragment.ts';
import { inferGraph } from '../onnx/infer-graph.ts';
import type { OnnxGraph } from '../onnx/ir.ts';
import { readModel } from '../onnx/read-model.ts';
import { ensureTinyModel } from '../tiny-model/index.ts';
import { defaultAdamWSettings } from './append-adamw.ts';
import { buildLoraTrainingGraph, findUnetInputs, type TrainableProjections } from './build-training-graph.ts';
import { createLoraTrainingSession, type TrainingBatch } from './lora-training-session.ts';

const logger = pino({ level: 'silent' });
let dir = '';
let unet: OnnxGraph;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teambooth-training-graph-'));
  unet = (await readModel(join(await ensureTinyModel(join(dir, 'models')), 'unet/model.onnx'))).graph;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fixed batch for a UNet graph: random noisy latents, timesteps, text states and target noise. */
function fixedBatch(graph: OnnxGraph, rows: number, seed: number): TrainingBatch {
  const dims = (name: string): number[] => graph.inputs.find((i) => i.name === name)!.shape.slice(1).map((d) => symbolDim(d, rows));
  const size = (name: string): number => dims(name).reduce((a, b) => a * b, 1);
  const latent = rows * size('sample');
  return {
    rows,
    latentDims: dims('sample'),
    textDims: dims('encoder_hidden_states'),
    sample: normalValues(latent, seed),
    timesteps: Array.from({ length: rows }, (_, i) => 100 + 300 * i),
    text: normalValues(rows * size('encoder_hidden_states'), seed + 1),
    target: normalValues(latent, seed + 2),
    weights: new Float32Array(rows).fill(1 / rows),
  };
}

/** Trains on one fixed batch; returns the losses and the final LoRA. */
async function trainFixed(graph: OnnxGraph, lora: LoraWeights, trainable: TrainableProjections, steps: number, learningRate: number): Promise<{ losses: number[]; lora: LoraWeights }> {
  const training = buildLoraTrainingGraph(graph, { lora, trainable, optimizer: { ...defaultAdamWSettings(), weightDecay: 0 } });
  const session = await createLoraTrainingSession(training, lora, { device: 'cpu', logger, intraOpThreads: 1 });
  try {
    const batch = fixedBatch(graph, 2, 21);
    const losses: number[] = [];
    for (let i = 0; i < steps; i++) losses.push((await session.step(batch, learningRate)).loss);
    expect(session.steps).toBe(steps);
    return { losses, lora: session.lora() };
  } finally {
    await session.release();
  }
}

describe('buildLoraTrainingGraph', () => {
  it('compiles the tiny UNet into a well-typed step with LoRA parameters and Adam state as inputs', () => {
    const lora = initLoraWeights(findLoraTargets(unet), { rank: 4, seed: 1 });
    const training = buildLoraTrainingGraph(unet, { lora, trainable: 'both', optimizer: defaultAdamWSettings() });
    expect(() => inferGraph(training.graph)).not.toThrow();
    expect(training.parameters).toHaveLength(64);
    const inputs = new Set(training.graph.inputs.map((i) => i.name));
    for (const name of ['sample', 'timestep', 'encoder_hidden_states', 'target', 'loss_weights', 'adam_step', 'learning_rate']) expect(inputs).toContain(name);
    const first = training.parameters[0]!;
    expect(first.name).toBe(`${lora.layers[0]!.key}.lora_down.weight`);
    for (const name of [first.name, first.m, first.v]) expect(inputs).toContain(name);
    expect(training.graph.outputs.slice(0, 2).map((o) => o.name)).toEqual(['loss', 'grad_norm']);
    expect(training.graph.outputs).toHaveLength(2 + 3 * 64);
    // Base weights stay constants of the graph.
    expect(training.graph.initializers.some((i) => i.name === 'down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight')).toBe(true);
  });

  it('lowers the loss clearly over 100 steps on a fixed batch of the tiny model', async () => {
    const lora = initLoraWeights(findLoraTargets(unet), { rank: 4, seed: 1 });
    const { losses } = await trainFixed(unet, lora, 'both', 100, 1e-3);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[99]!).toBeLessThan(0.6 * losses[0]!);
  });

  it('trains only the up-projections against fixed down-projections (orthogonal merge)', async () => {
    const targets = findLoraTargets(unet);
    const fixedDown = new Map(targets.map((t, i) => [t.key, normalValues(2 * t.inFeatures, 100 + i, 0.1)]));
    const lora = initLoraWeights(targets, { rank: 2, seed: 1, fixedDown });
    const training = buildLoraTrainingGraph(unet, { lora, trainable: 'up', optimizer: defaultAdamWSettings() });
    expect(training.parameters.map((p) => p.name).every((name) => name.endsWith('.lora_up.weight'))).toBe(true);
    const result = await trainFixed(unet, lora, 'up', 20, 1e-3);
    expect(result.losses[19]!).toBeLessThan(result.losses[0]!);
    result.lora.layers.forEach((layer, i) => {
      expect(Array.from(layer.down)).toEqual(Array.from(lora.layers[i]!.down));
      expect(layer.up.some((v) => v !== 0)).toBe(true);
    });
  });

  it('trains a torch-exported UNet fragment', async () => {
    const fragment = torchStyleUnetFragment();
    const lora = initLoraWeights(findLoraTargets(fragment), { rank: 4, alpha: 4, seed: 3 });
    const { losses } = await trainFixed(fragment, lora, 'both', 60, 1e-2);
    expect(losses[59]!).toBeLessThan(0.8 * losses[0]!);
  });

  it('refuses a UNet without the expected inputs or with float16 activations', () => {
    const fragment = torchStyleUnetFragment();
    const half = { ...fragment, inputs: fragment.inputs.map((i) => (i.name === 'encoder_hidden_states' ? { ...i, dtype: 'float16' as const } : i)) };
    expect(() => findUnetInputs(half)).toThrowError('training needs a float32 UNet; its input "encoder_hidden_states" is float16 (export the UNet in float32)');
    const renamed = { ...fragment, inputs: fragment.inputs.map((i) => (i.name === 'sample' ? { ...i, name: 'latents' } : i)) };
    expect(() => findUnetInputs(renamed)).toThrowError(/has no input "sample" \(its inputs: latents, timestep, encoder_hidden_states\)/);
  });
});
