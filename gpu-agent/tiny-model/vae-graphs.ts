import { GraphBuilder, type Value } from '../onnx/graph-builder.ts';
import { vaeAttention } from './attention-blocks.ts';
import { ModuleBuilder, type WeightSource } from './module-builder.ts';
import { downsample, resnetBlock, upsample } from './resnet-blocks.ts';
import type { ComponentGraph } from './text-encoder-graph.ts';
import { latentSize, type TinyModelConfig } from './tiny-model-config.ts';

/** AutoencoderKL's GroupNorm epsilon. */
const EPSILON = 1e-6;

function midBlock(m: ModuleBuilder, prefix: string, x: Value, channels: number, groups: number): Value {
  const resnet = (name: string, v: Value): Value => resnetBlock(m, name, v, { inChannels: channels, outChannels: channels, groups, epsilon: EPSILON });
  let h = resnet(`${prefix}.resnets.0`, x);
  h = vaeAttention(m, `${prefix}.attentions.0`, h, channels, groups);
  return resnet(`${prefix}.resnets.1`, h);
}

/**
 * The VAE encoder of an AutoencoderKL: conv_in, levels of ResNet blocks with stride-2
 * downsamplers (padded bottom/right), a mid block with attention, GroupNorm/SiLU/conv_out to
 * mean and log-variance, and `quant_conv`. Input `sample` `[batch, 3, H, W]` in [-1, 1]; output
 * `latent_sample` `[batch, C, H/8, W/8]`: the mean of the latent distribution (deterministic,
 * unscaled: multiply by `scaling_factor` before diffusion, as diffusers does).
 */
export function buildVaeEncoderGraph(config: TinyModelConfig, weights?: WeightSource): ComponentGraph {
  const b = new GraphBuilder('vae_encoder');
  const m = new ModuleBuilder(b, config.seed, weights);
  const { blockOutChannels: channels, layersPerBlock, normGroups: groups } = config.vae;
  const latent = config.latentChannels;
  const image = b.input('sample', 'float32', ['batch', 3, config.imageSize, config.imageSize]);
  let h = m.conv2d(image, 'encoder.conv_in', 3, channels[0]!, 3);
  channels.forEach((out, level) => {
    for (let j = 0; j < layersPerBlock; j++) {
      const name = `encoder.down_blocks.${level}.resnets.${j}`;
      h = resnetBlock(m, name, h, { inChannels: h.shape[1] as number, outChannels: out, groups, epsilon: EPSILON });
    }
    if (level < channels.length - 1) h = downsample(m, `encoder.down_blocks.${level}.downsamplers.0`, h, out, true);
  });
  const deepest = channels[channels.length - 1]!;
  h = midBlock(m, 'encoder.mid_block', h, deepest, groups);
  h = m.conv2d(m.silu(m.groupNorm(h, 'encoder.conv_norm_out', groups, EPSILON)), 'encoder.conv_out', deepest, 2 * latent, 3);
  const moments = m.conv2d(h, 'quant_conv', 2 * latent, 2 * latent, 1);
  const mean = b.slice(moments, { starts: [0], ends: [latent], axes: [1] });
  b.output(mean, 'latent_sample');
  return { model: b.model({ docString: 'teambooth-tiny VAE encoder (AutoencoderKL-like, outputs the latent mean)' }), parameters: m.parameterCount };
}

/**
 * The VAE decoder of an AutoencoderKL: `post_quant_conv`, conv_in, a mid block with attention,
 * levels of ResNet blocks (one more than the encoder's) with nearest 2x upsamplers, and
 * GroupNorm/SiLU/conv_out to RGB. Input `latent_sample` `[batch, C, h, w]` (already divided by
 * `scaling_factor`); output `sample` `[batch, 3, 8h, 8w]`, images in [-1, 1] by SD's convention.
 */
export function buildVaeDecoderGraph(config: TinyModelConfig, weights?: WeightSource): ComponentGraph {
  const b = new GraphBuilder('vae_decoder');
  const m = new ModuleBuilder(b, config.seed, weights);
  const { blockOutChannels: channels, layersPerBlock, normGroups: groups } = config.vae;
  const latent = config.latentChannels;
  const size = latentSize(config);
  const input = b.input('latent_sample', 'float32', ['batch', latent, size, size]);
  const reversed = [...channels].reverse();
  let h = m.conv2d(input, 'post_quant_conv', latent, latent, 1);
  h = m.conv2d(h, 'decoder.conv_in', latent, reversed[0]!, 3);
  h = midBlock(m, 'decoder.mid_block', h, reversed[0]!, groups);
  reversed.forEach((out, level) => {
    for (let j = 0; j <= layersPerBlock; j++) {
      const name = `decoder.up_blocks.${level}.resnets.${j}`;
      h = resnetBlock(m, name, h, { inChannels: h.shape[1] as number, outChannels: out, groups, epsilon: EPSILON });
    }
    if (level < reversed.length - 1) h = upsample(m, `decoder.up_blocks.${level}.upsamplers.0`, h, out);
  });
  const out = m.conv2d(m.silu(m.groupNorm(h, 'decoder.conv_norm_out', groups, EPSILON)), 'decoder.conv_out', channels[0]!, 3, 3);
  b.output(out, 'sample');
  return { model: b.model({ docString: 'teambooth-tiny VAE decoder (AutoencoderKL-like)' }), parameters: m.parameterCount };
}
