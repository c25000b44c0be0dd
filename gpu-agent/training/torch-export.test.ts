/**
 * A UNet exported by torch's own ONNX exporter (test/fixtures/torch-unet, made by
 * scripts/fixtures/export-torch-unet.py): the attention projections are found by the names torch
 * gives them, ONNX Runtime reproduces torch's output, and LoRA training on it lowers the loss.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { findLoraTargets } from '../lora/find-lora-targets.ts';
import { initLoraWeights } from '../lora/lora-weights.ts';
import { readSafetensorsFile } from '../lora/parse-safetensors.ts';
import { tensorToFloat32 } from '../lora/safetensors-format.ts';
import { readModel } from '../onnx/read-model.ts';
import { createSession } from '../onnx/runtime.ts';
import { defaultAdamWSettings } from './append-adamw.ts';
import { buildLoraTrainingGraph } from './build-training-graph.ts';
import { createLoraTrainingSession } from './lora-training-session.ts';

const FIXTURE = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'torch-unet');
const logger = pino({ level: 'silent' });

describe('a UNet exported by torch', () => {
  it('runs in ONNX Runtime with the output torch computed', async () => {
    const reference = await readSafetensorsFile(join(FIXTURE, 'reference.safetensors'));
    const tensor = (name: string) => reference.tensors.get(name)!;
    const session = await createSession(join(FIXTURE, 'model.onnx'), { device: 'cpu', logger, intraOpThreads: 1 });
    try {
      const timestep = tensor('timestep');
      const out = await session.run({
        sample: { dtype: 'float32', dims: tensor('sample').shape, data: tensorToFloat32(tensor('sample')) },
        timestep: { dtype: 'int64', dims: timestep.shape, data: new BigInt64Array(timestep.bytes.slice().buffer) },
        encoder_hidden_states: { dtype: 'float32', dims: tensor('encoder_hidden_states').shape, data: tensorToFloat32(tensor('encoder_hidden_states')) },
      });
      const expected = tensorToFloat32(tensor('out_sample'));
      const actual = out['out_sample']!.data as Float32Array;
      expect(actual.length).toBe(expected.length);
      let worst = 0;
      for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
      expect(worst).toBeLessThan(1e-4);
    } finally {
      await session.release();
    }
  });

  it('has its attention projections found by torch\'s module names, and a LoRA on them trains', async () => {
    const { graph } = await readModel(join(FIXTURE, 'model.onnx'));
    const targets = findLoraTargets(graph);
    expect(targets.map((t) => t.modulePath).sort()).toEqual(
      ['attn1', 'attn2'].flatMap((attn) => ['to_k', 'to_out.0', 'to_q', 'to_v'].map((p) => `down_blocks.0.attentions.0.transformer_blocks.0.${attn}.${p}`)).sort(),
    );
    // torch stores these weights as folded [in, out] initializers named onnx::MatMul_N.
    expect(targets.every((t) => t.weightName.startsWith('onnx::MatMul_') && t.layout === 'in-out')).toBe(true);

    const lora = initLoraWeights(targets, { rank: 4, alpha: 4, seed: 3 });
    const training = buildLoraTrainingGraph(graph, { lora, trainable: 'both', optimizer: { ...defaultAdamWSettings(), weightDecay: 0 } });
    const session = await createLoraTrainingSession(training, lora, { device: 'cpu', logger, intraOpThreads: 1 });
    try {
      const reference = await readSafetensorsFile(join(FIXTURE, 'reference.safetensors'));
      const sample = tensorToFloat32(reference.tensors.get('sample')!);
      const text = tensorToFloat32(reference.tensors.get('encoder_hidden_states')!);
      const target = new Float32Array(sample.length).map((_, i) => Math.sin(i * 0.37));
      const batch = { rows: 2, latentDims: [4, 8, 8], textDims: [77, 32], sample, timesteps: [100, 400], text, target, weights: new Float32Array([0.5, 0.5]) };
      const losses: number[] = [];
      for (let i = 0; i < 60; i++) losses.push((await session.step(batch, 1e-2)).loss);
      expect(losses[59]!).toBeLessThan(0.8 * losses[0]!);
    } finally {
      await session.release();
    }
  });
});
