import type { Initializer, OnnxGraph, OnnxNode } from '../onnx/ir.ts';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../pipeline/host-tensors.ts';
import { KOHYA_UNET_PREFIX } from './find-lora-targets.ts';
import { linearLayersByKey, matchLayer } from './match-lora-layer.ts';
import type { LinearLayer } from './find-linear-layers.ts';
import type { LoraLayer, LoraWeights } from './lora-weights.ts';

/** Options of {@link mergeLoraIntoWeights}. */
export interface MergeLoraOptions {
  /** Strength of the LoRA on top of `alpha / rank` (default 1; 0 leaves the model as it is). */
  multiplier?: number;
  /** Prefix of the LoRA's kohya keys (default `lora_unet`). */
  prefix?: string;
}

/**
 * Adds `multiplier * (alpha / rank) * up down` (`[out, in]`) to a weight stored in `layout`, in
 * place; float32 arithmetic, products accumulated in float64.
 */
export function addLoraDelta(weight: Float32Array, layout: LinearLayer['layout'], layer: LoraLayer, multiplier = 1): void {
  const { rank, inFeatures: n, outFeatures: m, down, up } = layer;
  if (weight.length !== n * m) throw new Error(`LoRA layer ${layer.key}: the weight has ${weight.length} values, expected ${m}x${n}`);
  const scale = (multiplier * layer.alpha) / rank;
  for (let o = 0; o < m; o++) {
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let r = 0; r < rank; r++) sum += up[o * rank + r]! * down[r * n + i]!;
      const at = layout === 'out-in' ? o * n + i : i * m + o;
      weight[at] = weight[at]! + scale * sum;
    }
  }
}

/**
 * Merges a LoRA into the base weights: `W' = W + multiplier * (alpha / rank) * up down` for each
 * layer, in the weight's own layout and dtype. This is how the agent applies a LoRA for
 * inference: the graph keeps its shape, runs as fast as the base model, and only the adapted
 * weights change (the same tensors the cluster's merge rewrites in a model version). A weight
 * initializer used by no other node keeps its name; a shared one is copied under a new name for
 * the adapted layer. Layers are matched by kohya key; a layer with no match, or other sizes, is an
 * error naming it.
 */
export function mergeLoraIntoWeights(graph: OnnxGraph, lora: LoraWeights, options: MergeLoraOptions = {}): OnnxGraph {
  const multiplier = options.multiplier ?? 1;
  const linear = linearLayersByKey(graph, options.prefix ?? KOHYA_UNET_PREFIX);
  const initializers = new Map<string, Initializer>(graph.initializers.map((init) => [init.name, init]));
  const added: Initializer[] = [];
  const rewired = new Map<string, { from: string; to: string }>();
  const uses = new Map<string, number>();
  for (const node of graph.nodes) for (const input of node.inputs) uses.set(input, (uses.get(input) ?? 0) + 1);
  for (const layer of lora.layers) {
    const target = matchLayer(graph, linear, layer);
    const current = initializers.get(target.weightName)!;
    const values = current.dtype === 'float16' ? float16BitsToFloat32(current.data as Uint16Array) : Float32Array.from(current.data as Float32Array);
    addLoraDelta(values, target.layout, layer, multiplier);
    const data = current.dtype === 'float16' ? float32ToFloat16Bits(values) : values;
    if ((uses.get(target.weightName) ?? 0) <= 1) {
      initializers.set(current.name, { ...current, data });
      continue;
    }
    const name = uniqueName(`${current.name}.${layer.key}`, initializers);
    const copy = { ...current, name, data };
    initializers.set(name, copy);
    added.push(copy);
    const consumer = target.layout === 'in-out' ? target.nodeName : transposeOf(graph, target.nodeName);
    rewired.set(consumer, { from: current.name, to: name });
  }
  const nodes = graph.nodes.map((node): OnnxNode => {
    const change = rewired.get(node.name);
    return change === undefined ? node : { ...node, inputs: node.inputs.map((input) => (input === change.from ? change.to : input)) };
  });
  const merged = graph.initializers.map((init) => initializers.get(init.name)!);
  return { ...graph, nodes, initializers: [...merged, ...added] };
}

function transposeOf(graph: OnnxGraph, matMulName: string): string {
  const matMul = graph.nodes.find((node) => node.name === matMulName)!;
  return graph.nodes.find((node) => node.outputs.includes(matMul.inputs[1]!))!.name;
}

function uniqueName(base: string, taken: ReadonlyMap<string, unknown>): string {
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
  return name;
}
