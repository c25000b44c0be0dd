import { buildGradientGraph } from '../onnx/autodiff/build-gradient-graph.ts';
import type { OnnxGraph, ValueInfo } from '../onnx/ir.ts';
import { injectLora, type LoraParameterNames } from '../lora/inject-lora.ts';
import type { LoraWeights } from '../lora/lora-weights.ts';
import { appendAdamW, type AdamWSettings, type OptimizedParameter } from './append-adamw.ts';
import { appendDreamBoothLoss, LOSS_IO } from './append-dreambooth-loss.ts';

/** Which LoRA projections train: both (standard LoRA), or only `up` against a fixed `down` (orthogonal merge). */
export type TrainableProjections = 'both' | 'up';

/** Options of {@link buildLoraTrainingGraph}. */
export interface TrainingGraphOptions {
  /** The starting LoRA; it fixes the layers, ranks and alphas, and `down` when only `up` trains. */
  lora: LoraWeights;
  trainable: TrainableProjections;
  optimizer: AdamWSettings;
}

/** The UNet inputs a training step feeds. */
export interface UnetInputs {
  readonly sample: ValueInfo;
  readonly timestep: ValueInfo;
  readonly encoderHiddenStates: ValueInfo;
}

/** A compiled training step and the names to feed and read. */
export interface TrainingGraph {
  readonly graph: OnnxGraph;
  readonly unet: UnetInputs;
  /** The trained parameters with their optimizer state, in LoRA layer order (down then up per layer). */
  readonly parameters: readonly OptimizedParameter[];
  /** The graph names of every layer's LoRA parameters (frozen `down`s stay initializers). */
  readonly lora: readonly LoraParameterNames[];
}

/**
 * Compiles one DreamBooth-LoRA training step into a single ONNX graph: the UNet with LoRA
 * branches (see `injectLora`), the DreamBooth loss (see `appendDreamBoothLoss`), reverse-mode
 * gradients with respect to the trainable LoRA parameters (`buildGradientGraph`, which turns them
 * into inputs), then AdamW with gradient clipping (see `appendAdamW`). One run takes the
 * parameters, their Adam moments, the step number, the learning rate and a batch (`sample` =
 * noisy latents, `timestep`, `encoder_hidden_states`, `target`, `loss_weights`), and returns the
 * updated parameters and moments, `loss` and `grad_norm`. Base weights stay constant initializers.
 */
export function buildLoraTrainingGraph(unet: OnnxGraph, options: TrainingGraphOptions): TrainingGraph {
  const unetInputs = findUnetInputs(unet);
  const injected = injectLora(unet, options.lora);
  const lossGraph = appendDreamBoothLoss(injected.graph);
  const layers = new Map(options.lora.layers.map((layer) => [layer.key, layer]));
  const wrt = injected.parameters.flatMap((names) => {
    const layer = layers.get(names.key)!;
    const up = { name: names.up, dims: [layer.outFeatures, layer.rank] };
    return options.trainable === 'up' ? [up] : [{ name: names.down, dims: [layer.rank, layer.inFeatures] }, up];
  });
  const gradientName = (name: string): string => `gradient/${name}`;
  const gradients = buildGradientGraph(lossGraph, { loss: LOSS_IO.loss, wrt: wrt.map((p) => p.name), parametersAsInputs: true, gradientName });
  const optimized = appendAdamW(
    gradients,
    wrt.map((p) => ({ ...p, gradient: gradientName(p.name) })),
    options.optimizer,
    [LOSS_IO.loss],
  );
  return { graph: { ...optimized.graph, name: `${unet.name}_lora_training` }, unet: unetInputs, parameters: optimized.parameters, lora: injected.parameters };
}

/** The UNet's `sample`, `timestep` and `encoder_hidden_states` inputs; training needs float32 activations. */
export function findUnetInputs(unet: OnnxGraph): UnetInputs {
  const find = (name: string): ValueInfo => {
    const input = unet.inputs.find((i) => i.name === name);
    if (input === undefined) throw new Error(`graph "${unet.name}" has no input "${name}" (its inputs: ${unet.inputs.map((i) => i.name).join(', ')}); is it a Stable Diffusion UNet?`);
    return input;
  };
  const inputs = { sample: find('sample'), timestep: find('timestep'), encoderHiddenStates: find('encoder_hidden_states') };
  for (const value of [inputs.sample, inputs.encoderHiddenStates]) {
    if (value.dtype !== 'float32') throw new Error(`training needs a float32 UNet; its input "${value.name}" is ${value.dtype} (export the UNet in float32)`);
  }
  if (!['int64', 'int32', 'float32'].includes(inputs.timestep.dtype)) throw new Error(`the UNet's "timestep" input is ${inputs.timestep.dtype}; int64, int32 or float32 is needed`);
  return inputs;
}

