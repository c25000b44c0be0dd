import type { OnnxGraph, ValueInfo } from '../onnx/ir.ts';
import { NodeEmitter } from '../lora/node-emitter.ts';
import type { WeightSource } from '../tiny-model/module-builder.ts';
import type { TinyModelConfig } from '../tiny-model/tiny-model-config.ts';
import { latentSize } from '../tiny-model/tiny-model-config.ts';
import { buildVaeDecoderGraph, buildVaeEncoderGraph } from '../tiny-model/vae-graphs.ts';
import type { LossGraph } from './compile-training-step.ts';
import { concatGraphs, renameGraph } from './rename-graph.ts';

/** Names of the autoencoder loss graph's inputs. */
export const AUTOENCODER_IO = {
  /** `[batch, 3, H, W]` images in [-1, 1]. */
  images: 'vae_encoder/sample',
  /** `[batch, C, h, w]` standard normal noise added to the latent (scaled by `latentNoise`). */
  noise: 'latent_noise',
  loss: 'loss',
} as const;

/** Settings of the autoencoder objective. */
export interface AutoencoderLossSettings {
  /** Standard deviation of the Gaussian noise added to the encoder's latent before decoding (a fixed-variance VAE). */
  latentNoise: number;
  /** Weight of the mean squared latent in the loss; keeps the latent from growing to drown the noise. */
  latentPenalty: number;
  /** Weight of the mean absolute reconstruction error added to the squared one (sharpens small shapes sooner). */
  l1Weight: number;
}

/**
 * The tiny VAE as an autoencoder: with `d = decode(encode(x) + s n) - x`,
 * `loss = mean d^2 + w mean |d| + p mean encode(x)^2`.
 * The noise makes the decoder robust to the imprecise latents a diffusion model produces, and the
 * penalty fixes the latent's scale against it (a KL term with fixed posterior variance, in effect).
 * Weights keep their component prefixes `vae_encoder/` and `vae_decoder/`; they start from
 * `weights` (the VAE's, by parameter name) when given, else from the seeded init.
 */
export function buildAutoencoderLossGraph(config: TinyModelConfig, settings: AutoencoderLossSettings, weights?: WeightSource): LossGraph {
  const encoder = renameGraph(buildVaeEncoderGraph(config, weights).model.graph, 'vae_encoder/');
  const decoder = renameGraph(buildVaeDecoderGraph(config, weights).model.graph, 'vae_decoder/', { latent_sample: 'noisy_latent' });
  const latent = encoder.rename('latent_sample');
  const size = latentSize(config);
  const partial: OnnxGraph = concatGraphs('tiny_vae_autoencoder', [encoder.graph]);
  const glue = new NodeEmitter(partial, 'glue');
  const noise: ValueInfo = { name: glue.claim(AUTOENCODER_IO.noise), dtype: 'float32', shape: ['batch', config.latentChannels, size, size] };
  glue.add(latent, glue.mul(noise.name, glue.scalar(settings.latentNoise)), glue.claim('noisy_latent'));
  const joined = concatGraphs('tiny_vae_autoencoder', [encoder.graph, { ...partial, inputs: [noise], outputs: [], initializers: glue.initializers, nodes: glue.nodes, valueInfo: [] }, decoder.graph]);
  const loss = new NodeEmitter(joined, 'loss');
  const difference = loss.sub(decoder.rename('sample'), AUTOENCODER_IO.images);
  const mse = loss.reduceMean(loss.mul(difference, difference), [0, 1, 2, 3], false);
  const l1 = loss.reduceMean(loss.op('Abs', [difference]), [0, 1, 2, 3], false);
  const magnitude = loss.reduceMean(loss.mul(latent, latent), [0, 1, 2, 3], false);
  const reconstruction = loss.add(mse, loss.mul(l1, loss.scalar(settings.l1Weight)));
  loss.add(reconstruction, loss.mul(magnitude, loss.scalar(settings.latentPenalty)), loss.claim(AUTOENCODER_IO.loss));
  return {
    graph: {
      ...joined,
      outputs: [{ name: AUTOENCODER_IO.loss, dtype: 'float32', shape: [] }],
      nodes: [...joined.nodes, ...loss.nodes],
      initializers: [...joined.initializers, ...loss.initializers],
    },
    loss: AUTOENCODER_IO.loss,
  };
}
