import type { OnnxGraph, OnnxNode } from '../onnx/ir.ts';
import { KOHYA_UNET_PREFIX } from './find-lora-targets.ts';
import type { LoraWeights } from './lora-weights.ts';
import { linearLayersByKey, matchLayer } from './match-lora-layer.ts';
import { floatData, NodeEmitter } from './node-emitter.ts';

/** Graph names of one layer's LoRA parameters. */
export interface LoraParameterNames {
  readonly key: string;
  /** `<key>.lora_down.weight`, `[rank, in]`. */
  readonly down: string;
  /** `<key>.lora_up.weight`, `[out, rank]`. */
  readonly up: string;
}

/** What {@link injectLora} returns. */
export interface InjectedLora {
  readonly graph: OnnxGraph;
  /** The new initializers, in the order of the LoRA's layers. */
  readonly parameters: readonly LoraParameterNames[];
}

/** Options of {@link injectLora}. */
export interface InjectLoraOptions {
  /** Strength of every branch on top of `alpha / rank` (default 1). */
  multiplier?: number;
  /** Prefix of the LoRA's kohya keys (default `lora_unet`). */
  prefix?: string;
}

/** The graph names of a layer's parameters: its kohya tensor names. */
export function loraParameterNames(key: string): LoraParameterNames {
  return { key, down: `${key}.lora_down.weight`, up: `${key}.lora_up.weight` };
}

/**
 * Adds a LoRA branch to every layer of `lora`: the layer's MatMul output `y` is renamed and
 * `y = y_base + multiplier * (alpha / rank) * (x down^T) up^T` takes its place, so every consumer
 * (the bias Add of `to_out.0`, the graph outputs) sees the adapted value. `down` and `up` become
 * initializers named by their kohya keys (`<key>.lora_down.weight`), in the layer weight's dtype;
 * the training graph turns them into inputs. With `up` zero the graph computes exactly the base
 * model. Each layer is matched to the graph by its kohya key; a layer with no match, or with other
 * sizes, is an error naming it.
 */
export function injectLora(graph: OnnxGraph, lora: LoraWeights, options: InjectLoraOptions = {}): InjectedLora {
  const multiplier = options.multiplier ?? 1;
  const linear = linearLayersByKey(graph, options.prefix ?? KOHYA_UNET_PREFIX);
  const emitter = new NodeEmitter(graph, 'lora');
  const branches = new Map<string, { renamed: string; nodes: OnnxNode[] }>();
  const parameters: LoraParameterNames[] = [];
  for (const layer of lora.layers) {
    const target = matchLayer(graph, linear, layer);
    if (branches.has(target.nodeName)) throw new Error(`LoRA layer ${layer.key} is given twice`);
    const node = graph.nodes.find((n) => n.name === target.nodeName)!;
    const names = loraParameterNames(layer.key);
    const dtype = target.dtype;
    emitter.initializer(names.down, dtype, [layer.rank, layer.inFeatures], floatData(dtype, layer.down));
    emitter.initializer(names.up, dtype, [layer.outFeatures, layer.rank], floatData(dtype, layer.up));
    const first = emitter.nodes.length;
    const output = node.outputs[0]!;
    const renamed = emitter.claim(`${output}/lora_base`);
    const hidden = emitter.matMul(node.inputs[0]!, emitter.transpose(names.down, [1, 0]));
    const delta = emitter.matMul(hidden, emitter.transpose(names.up, [1, 0]));
    const scaled = emitter.mul(delta, emitter.scalar((multiplier * layer.alpha) / layer.rank, dtype));
    emitter.add(renamed, scaled, output);
    branches.set(node.name, { renamed, nodes: emitter.nodes.slice(first) });
    parameters.push(names);
  }
  const nodes: OnnxNode[] = [];
  for (const node of graph.nodes) {
    const branch = branches.get(node.name);
    if (branch === undefined) {
      nodes.push(node);
      continue;
    }
    nodes.push({ ...node, outputs: [branch.renamed, ...node.outputs.slice(1)] }, ...branch.nodes);
  }
  return { graph: { ...graph, nodes, initializers: [...graph.initializers, ...emitter.initializers] }, parameters };
}
