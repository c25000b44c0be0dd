import { attr } from '../onnx/attributes.ts';
import type { OnnxGraph, ValueInfo } from '../onnx/ir.ts';
import { NodeEmitter } from '../lora/node-emitter.ts';

/** Names of the loss graph's new inputs and output. */
export const LOSS_IO = {
  /** The noise (or v) the UNet should predict, shaped like its output. */
  target: 'target',
  /** `[batch]` weight of each row's mean squared error. */
  rowWeights: 'loss_weights',
  loss: 'loss',
} as const;

/**
 * Turns a UNet graph into a loss graph: `loss = sum_b w_b * mean_chw (prediction_b - target_b)^2`
 * over its first output. With instance rows weighted `1 / instances` and class rows
 * `lambda / classes` this is DreamBooth's loss with prior preservation (Ruiz et al. 2023, eq. 2);
 * with all rows `1 / batch` it is the plain denoising MSE. The UNet's outputs are replaced by
 * the scalar `loss`.
 */
export function appendDreamBoothLoss(unet: OnnxGraph): OnnxGraph {
  const prediction = unet.outputs[0];
  if (prediction === undefined) throw new Error(`graph "${unet.name}" has no output to train`);
  if (prediction.dtype !== 'float32') throw new Error(`training needs a float32 UNet; "${prediction.name}" is ${prediction.dtype}`);
  const batch = prediction.shape[0]!;
  const emitter = new NodeEmitter(unet, 'loss');
  const target: ValueInfo = { name: emitter.claim(LOSS_IO.target), dtype: 'float32', shape: prediction.shape };
  const weights: ValueInfo = { name: emitter.claim(LOSS_IO.rowWeights), dtype: 'float32', shape: [batch] };
  const difference = emitter.sub(prediction.name, target.name);
  const axes = Array.from({ length: prediction.shape.length - 1 }, (_, i) => i + 1);
  const rowMse = emitter.reduceMean(emitter.mul(difference, difference), axes, false);
  emitter.op('ReduceSum', [emitter.mul(rowMse, weights.name), emitter.ints([0])], { keepdims: attr.int(0) }, emitter.claim(LOSS_IO.loss));
  return {
    ...unet,
    inputs: [...unet.inputs, target, weights],
    outputs: [{ name: LOSS_IO.loss, dtype: 'float32', shape: [] }],
    nodes: [...unet.nodes, ...emitter.nodes],
    initializers: [...unet.initializers, ...emitter.initializers],
  };
}
