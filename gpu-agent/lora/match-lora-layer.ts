import type { OnnxGraph } from '../onnx/ir.ts';
import { findLinearLayers, type LinearLayer } from './find-linear-layers.ts';
import { kohyaKey } from './find-lora-targets.ts';
import type { LoraLayer } from './lora-weights.ts';

/** The graph's linear layers by the kohya key of their module path. */
export function linearLayersByKey(graph: OnnxGraph, prefix: string): Map<string, LinearLayer> {
  return new Map(findLinearLayers(graph).map((layer) => [kohyaKey(layer.modulePath, prefix), layer]));
}

/** The linear layer a LoRA layer adapts; throws naming the layer when there is none or sizes differ. */
export function matchLayer(graph: OnnxGraph, linear: ReadonlyMap<string, LinearLayer>, layer: LoraLayer): LinearLayer {
  const target = linear.get(layer.key);
  if (target === undefined) throw new Error(`LoRA layer ${layer.key} matches no linear layer of graph "${graph.name}" (is the LoRA for another model?)`);
  if (target.inFeatures !== layer.inFeatures || target.outFeatures !== layer.outFeatures) {
    throw new Error(
      `LoRA layer ${layer.key} is ${layer.outFeatures}x${layer.inFeatures} but ${target.modulePath} of graph "${graph.name}" is ${target.outFeatures}x${target.inFeatures} (is the LoRA for another model?)`,
    );
  }
  if (layer.down.length !== layer.rank * layer.inFeatures || layer.up.length !== layer.outFeatures * layer.rank) {
    throw new Error(`LoRA layer ${layer.key}: down has ${layer.down.length} values and up ${layer.up.length}, expected [${layer.rank}, ${layer.inFeatures}] and [${layer.outFeatures}, ${layer.rank}]`);
  }
  return target;
}
