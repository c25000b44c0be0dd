import type { OnnxGraph } from '../onnx/ir.ts';
import { findLinearLayers, type LinearLayer } from './find-linear-layers.ts';

/** The attention projections of diffusers' Attention, which LoRA adapts by default. */
export const DEFAULT_LORA_MODULES: readonly string[] = ['to_q', 'to_k', 'to_v', 'to_out.0'];

/** The kohya prefix of UNet LoRA keys. */
export const KOHYA_UNET_PREFIX = 'lora_unet';

/** A linear layer chosen for LoRA, with its kohya key. */
export interface LoraTarget extends LinearLayer {
  /** `lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k`. */
  readonly key: string;
}

/** Options of {@link findLoraTargets}. */
export interface FindLoraTargetsOptions {
  /** Last segments of the module paths to adapt (default {@link DEFAULT_LORA_MODULES}). */
  modules?: readonly string[];
  /** Further filter on the module path (e.g. only cross-attention: `(p) => p.includes('.attn2.')`). */
  include?: (modulePath: string) => boolean;
  /** Prefix of the kohya keys (default {@link KOHYA_UNET_PREFIX}). */
  prefix?: string;
}

/** A model that has no layer LoRA could adapt. */
export class NoLoraTargetsError extends Error {
  override readonly name = 'NoLoraTargetsError';
}

/** The kohya key of a module: the prefix, then the path with dots turned into underscores. */
export function kohyaKey(modulePath: string, prefix = KOHYA_UNET_PREFIX): string {
  return `${prefix}_${modulePath.replaceAll('.', '_')}`;
}

/**
 * Finds the linear layers to adapt: those whose module path ends with one of `modules` (by
 * default the attention projections `to_q`, `to_k`, `to_v`, `to_out.0`), in graph order.
 * @throws NoLoraTargetsError when there is none, saying what the graph has instead.
 */
export function findLoraTargets(graph: OnnxGraph, options: FindLoraTargetsOptions = {}): LoraTarget[] {
  return selectLoraTargets(findLinearLayers(graph), graph.name, options);
}

/** {@link findLoraTargets} on linear layers found before (e.g. a model version's stored linear-layer index). */
export function selectLoraTargets(linear: readonly LinearLayer[], graphName: string, options: FindLoraTargetsOptions = {}): LoraTarget[] {
  const modules = options.modules ?? DEFAULT_LORA_MODULES;
  const prefix = options.prefix ?? KOHYA_UNET_PREFIX;
  const targets = linear
    .filter((layer) => modules.some((m) => layer.modulePath === m || layer.modulePath.endsWith(`.${m}`)))
    .filter((layer) => options.include?.(layer.modulePath) ?? true)
    .map((layer) => ({ ...layer, key: kohyaKey(layer.modulePath, prefix) }));
  const keys = new Set<string>();
  for (const target of targets) {
    if (keys.has(target.key)) throw new Error(`two modules of graph "${graphName}" share the kohya key ${target.key}`);
    keys.add(target.key);
  }
  if (targets.length === 0) {
    const found = linear.length === 0 ? 'it has no linear layer with a constant weight' : `its linear layers are ${linear.slice(0, 5).map((l) => l.modulePath).join(', ')}${linear.length > 5 ? ', ...' : ''}`;
    throw new NoLoraTargetsError(
      `graph "${graphName}" has no layer to adapt with LoRA (looked for modules named ${modules.join(', ')}; ${found}); ` +
        'LoRA needs a Stable Diffusion UNet with diffusers-style attention (to_q, to_k, to_v, to_out.0)',
    );
  }
  return targets;
}
