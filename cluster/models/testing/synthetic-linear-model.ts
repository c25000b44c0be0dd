import type { Initializer, OnnxGraph, OnnxNode } from '../../../gpu-agent/onnx/ir.ts';
import { buildLinearLayerIndex, serializeLinearLayerIndex } from '../linear-layer-index.ts';

/** One linear layer of a synthetic graph. */
export interface SyntheticLinear {
  readonly modulePath: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
}

/** The initializer name a synthetic layer's weight gets (as a constant-folding torch export names it). */
export function syntheticWeightName(index: number): string {
  return `onnx::MatMul_${1000 + index}`;
}

/**
 * The linear-layer index of a graph of `[in, out]` MatMul weights named the way torch exports
 * Stable Diffusion (`/down_blocks.0/.../to_q/MatMul`). Weights carry no data: the index needs
 * only their dims, which is how tests and the benchmark describe SD-sized models cheaply.
 */
export function syntheticLinearIndex(layers: readonly SyntheticLinear[]): Uint8Array {
  const initializers: Initializer[] = layers.map((layer, i) => ({ name: syntheticWeightName(i), dtype: 'float32', dims: [layer.inFeatures, layer.outFeatures], data: new Float32Array(0) }));
  const nodes: OnnxNode[] = layers.map((layer, i) => ({
    name: `/${layer.modulePath.replaceAll('.', '/')}/MatMul`,
    opType: 'MatMul',
    domain: '',
    inputs: [`x${i}`, syntheticWeightName(i)],
    outputs: [`y${i}`],
    attributes: {},
  }));
  const graph: OnnxGraph = { name: 'synthetic', inputs: [], outputs: [], initializers, nodes, valueInfo: [] };
  return serializeLinearLayerIndex(buildLinearLayerIndex(graph));
}

/** Fills `values` with deterministic pseudo-random numbers in [-scale, scale) (xorshift32, fast enough for GBs). */
export function fillDeterministic(values: Float32Array, seed: number, scale = 0.05): Float32Array {
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < values.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    values[i] = ((state >>> 0) / 2147483648 - 1) * scale;
  }
  return values;
}
