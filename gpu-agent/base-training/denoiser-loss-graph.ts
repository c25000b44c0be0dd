import type { ValueInfo } from '../onnx/ir.ts';
import { NodeEmitter } from '../lora/node-emitter.ts';
import { buildTextEncoderGraph, type TextVocabulary } from '../tiny-model/text-encoder-graph.ts';
import type { TinyModelConfig } from '../tiny-model/tiny-model-config.ts';
import { buildUnetGraph } from '../tiny-model/unet-graph.ts';
import type { LossGraph } from './compile-training-step.ts';
import { concatGraphs, renameGraph } from './rename-graph.ts';

/** Names of the denoiser loss graph's inputs. */
export const DENOISER_IO = {
  /** `[batch, T]` int32 caption token ids. */
  inputIds: 'text_encoder/input_ids',
  /** `[batch, C, h, w]` noisy scaled latents. */
  sample: 'unet/sample',
  /** `[batch]` int64 train timesteps. */
  timestep: 'unet/timestep',
  /** `[batch, C, h, w]` the noise that was added (epsilon prediction). */
  target: 'target',
  loss: 'loss',
} as const;

/**
 * The text encoder feeding the UNet's cross-attention, with the epsilon-prediction loss
 * `mean (unet(x_t, t, text(ids)) - eps)^2`, so one gradient graph trains both jointly. Weights
 * keep their component prefixes `text_encoder/` and `unet/`.
 */
export function buildDenoiserLossGraph(config: TinyModelConfig, vocabulary: TextVocabulary): LossGraph {
  const text = renameGraph(buildTextEncoderGraph(config, vocabulary).model.graph, 'text_encoder/');
  const unet = renameGraph(buildUnetGraph(config).model.graph, 'unet/', { encoder_hidden_states: text.rename('last_hidden_state') });
  const joined = concatGraphs('tiny_denoiser', [text.graph, unet.graph]);
  const prediction = unet.rename('out_sample');
  const predictionInfo = unet.graph.outputs.find((o) => o.name === prediction)!;
  const loss = new NodeEmitter(joined, 'loss');
  const target: ValueInfo = { name: loss.claim(DENOISER_IO.target), dtype: 'float32', shape: predictionInfo.shape };
  const difference = loss.sub(prediction, target.name);
  const axes = predictionInfo.shape.map((_, i) => i);
  loss.identity(loss.reduceMean(loss.mul(difference, difference), axes, false), loss.claim(DENOISER_IO.loss));
  return {
    graph: {
      ...joined,
      inputs: [...joined.inputs, target],
      outputs: [{ name: DENOISER_IO.loss, dtype: 'float32', shape: [] }],
      nodes: [...joined.nodes, ...loss.nodes],
      initializers: [...joined.initializers, ...loss.initializers],
    },
    loss: DENOISER_IO.loss,
  };
}
