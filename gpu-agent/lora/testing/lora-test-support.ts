import type { OnnxGraph, OnnxModel } from '../../onnx/ir.ts';
import type { HostTensor } from '../../onnx/runtime.ts';
import { runModel } from '../../onnx/testing/run-model.ts';
import { seededRandom } from '../../tiny-model/seeded-random.ts';
import type { LoraWeights } from '../lora-weights.ts';
import { FRAGMENT } from './torch-style-unet-fragment.ts';

/** Test helper: seeded N(0, std^2) values. */
export function normalValues(count: number, seed: number, std = 1): Float32Array {
  const random = seededRandom(seed, 'lora-test');
  return Float32Array.from({ length: count }, () => random.normal() * std);
}

/** Test helper: UNet feeds (`sample`, `timestep`, `encoder_hidden_states`) for a graph's input shapes, with `batch` rows. */
export function unetFeeds(graph: OnnxGraph, batch: number, seed: number): Record<string, HostTensor> {
  const dims = (name: string): number[] => graph.inputs.find((i) => i.name === name)!.shape.map((d) => symbolDim(d, batch));
  const count = (d: number[]): number => d.reduce((a, b) => a * b, 1);
  const sample = dims('sample');
  const text = dims('encoder_hidden_states');
  return {
    sample: { dtype: 'float32', dims: sample, data: normalValues(count(sample), seed) },
    timestep: { dtype: 'int64', dims: [batch], data: BigInt64Array.from({ length: batch }, (_, i) => BigInt(900 - 400 * i)) },
    encoder_hidden_states: { dtype: 'float32', dims: text, data: normalValues(count(text), seed + 1) },
  };
}

/** Test helper: a dim as fed: static dims as they are, `batch` as given, `sequence` (text length) as {@link FRAGMENT}'s tokens. */
export function symbolDim(dim: number | string, batch: number): number {
  if (typeof dim === 'number') return dim;
  return dim === 'sequence' ? FRAGMENT.tokens : batch;
}

/** Test helper: runs a graph once on the CPU and returns one output's values. */
export async function runGraph(graph: OnnxGraph, feeds: Record<string, HostTensor>, output = 'out_sample'): Promise<Float32Array> {
  const model: OnnxModel = { graph, opset: 17, producerName: 'teambooth-test', producerVersion: '0' };
  const out = await runModel(model, feeds);
  return out[output]!.data as Float32Array;
}

/** Test helper: a copy of a LoRA with every `up` filled with seeded values (a trained-looking LoRA). */
export function withRandomUp(lora: LoraWeights, seed: number, std = 0.05): LoraWeights {
  return { layers: lora.layers.map((layer, i) => ({ ...layer, up: normalValues(layer.up.length, seed + i, std) })) };
}

/** Test helper: the largest absolute difference between two arrays, and the largest magnitude of `a`. */
export function compare(a: Float32Array, b: Float32Array): { maxDiff: number; scale: number } {
  let maxDiff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(a[i]!));
  }
  return { maxDiff, scale };
}
