import type { LinearLayer } from '../../../gpu-agent/lora/find-linear-layers.ts';
import { findLoraTargets, selectLoraTargets } from '../../../gpu-agent/lora/find-lora-targets.ts';
import { loraParameterNames } from '../../../gpu-agent/lora/inject-lora.ts';
import type { OnnxGraph } from '../../../gpu-agent/onnx/ir.ts';

/** Element types a LoRA result may use: the trainer writes F32; F16 halves the upload. */
export type LoraTensorDType = 'F32' | 'F16';

/** One tensor a LoRA file must hold. */
export interface ExpectedLoraTensor {
  /** kohya name, e.g. `lora_unet_mid_block_attentions_0_transformer_blocks_0_attn1_to_q.lora_up.weight`. */
  readonly name: string;
  readonly shape: readonly number[];
  /** `down` `[rank, in]`, `up` `[out, rank]`, or the scalar `alpha`, which must also be positive. */
  readonly role: 'down' | 'up' | 'alpha';
}

/** Exactly the tensors a LoRA for one base model and rank holds, in graph order, and the dtypes allowed. */
export interface ExpectedLoraLayout {
  readonly tensors: readonly ExpectedLoraTensor[];
  readonly dtypes: readonly LoraTensorDType[];
}

/** Options of {@link expectedLoraLayout}: the training request's `rank` and `modules`. */
export interface ExpectedLoraLayoutOptions {
  rank: number;
  /** Layers adapted, as the training request names them (default: the attention projections). */
  modules?: readonly string[];
  /** Also accept F16 tensors (default false). */
  allowFloat16?: boolean;
}

/**
 * The layout of the LoRA an agent trains on `unet` (the model version's UNet graph, or its linear
 * layers as the version's linear-layer index stores them): the
 * targets come from `findLoraTargets`, the same call `trainDreamBoothLora` makes, and the names
 * from `loraParameterNames`; each target gets `lora_down` `[rank, in]`, `lora_up` `[out, rank]`
 * and a scalar `alpha`, as `serializeLoraFile` writes them. A change to training's choice of
 * layers therefore changes what the cluster expects, and a LoRA for another model or rank fails.
 * @throws NoLoraTargetsError when `unet` has no layer to adapt; RangeError for a bad rank.
 */
export function expectedLoraLayout(unet: OnnxGraph | readonly LinearLayer[], options: ExpectedLoraLayoutOptions): ExpectedLoraLayout {
  const { rank } = options;
  if (!Number.isInteger(rank) || rank < 1) throw new RangeError(`a LoRA rank must be a positive integer (got ${rank})`);
  const select = options.modules === undefined ? {} : { modules: options.modules };
  const targets = Array.isArray(unet) ? selectLoraTargets(unet, 'unet', select) : findLoraTargets(unet as OnnxGraph, select);
  const tensors = targets.flatMap(({ key, inFeatures, outFeatures }): ExpectedLoraTensor[] => {
    const names = loraParameterNames(key);
    return [
      { name: names.down, shape: [rank, inFeatures], role: 'down' },
      { name: names.up, shape: [outFeatures, rank], role: 'up' },
      { name: `${key}.alpha`, shape: [], role: 'alpha' },
    ];
  });
  return { tensors, dtypes: options.allowFloat16 === true ? ['F32', 'F16'] : ['F32'] };
}
