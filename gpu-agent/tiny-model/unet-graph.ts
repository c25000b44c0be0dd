import { GraphBuilder, type Value } from '../onnx/graph-builder.ts';
import { spatialTransformer } from './attention-blocks.ts';
import { ModuleBuilder, type WeightSource } from './module-builder.ts';
import { downsample, resnetBlock, upsample } from './resnet-blocks.ts';
import type { ComponentGraph } from './text-encoder-graph.ts';
import { latentSize, type TinyModelConfig } from './tiny-model-config.ts';

/** diffusers' default GroupNorm epsilon of the UNet's ResNet blocks. */
const RESNET_EPSILON = 1e-5;

/**
 * Sinusoidal timestep embedding as Stable Diffusion computes it (`flip_sin_to_cos`, no shift):
 * `[cos(t f), sin(t f)]` with `f_i = 10000^(-i / half)`, from an int64 `[batch]` timestep.
 */
function timestepEmbedding(b: GraphBuilder, timestep: Value, dim: number): Value {
  const half = dim / 2;
  const freqs = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
  const args = b.mul(b.unsqueeze(b.cast(timestep, 'float32'), [1]), b.constant('float32', [half], freqs));
  return b.concat([b.cos(args), b.sin(args)], 1);
}

/**
 * A UNet2DConditionModel in miniature: conv_in, down levels of ResNet blocks (with self/cross
 * attention transformer blocks where `crossAttention` says) and stride-2 downsamplers, a mid
 * block (ResNet, transformer, ResNet), up levels that concatenate the skip connections, nearest
 * upsamplers, and GroupNorm/SiLU/conv_out; a sinusoidal timestep embedding through a 2-layer MLP
 * is added in every ResNet block. Inputs `sample` `[batch, C, h, w]`, `timestep` `[batch]` int64,
 * `encoder_hidden_states` `[batch, T, D]`; output `out_sample` (the predicted noise).
 */
export function buildUnetGraph(config: TinyModelConfig, weights?: WeightSource): ComponentGraph {
  const b = new GraphBuilder('unet');
  const m = new ModuleBuilder(b, config.seed, weights);
  const { blockOutChannels: channels, crossAttention, layersPerBlock, heads, normGroups: groups } = config.unet;
  const size = latentSize(config);
  const sample = b.input('sample', 'float32', ['batch', config.latentChannels, size, size]);
  const timestep = b.input('timestep', 'int64', ['batch']);
  const textWidth = config.text.width;
  const text = b.input('encoder_hidden_states', 'float32', ['batch', config.text.maxTokens, textWidth]);
  const context = { value: text, width: textWidth };

  const base = channels[0]!;
  const tembWidth = base * 4;
  const temb = b.scope('time_embedding', () => {
    const hidden = m.silu(m.linear(timestepEmbedding(b, timestep, base), 'time_embedding.linear_1', base, tembWidth));
    return m.linear(hidden, 'time_embedding.linear_2', tembWidth, tembWidth);
  });
  const timeEmbedding = { value: temb, width: tembWidth };
  const resnet = (name: string, x: Value, outChannels: number): Value =>
    b.scope(name, () => resnetBlock(m, name, x, { inChannels: x.shape[1] as number, outChannels, groups, epsilon: RESNET_EPSILON, timeEmbedding }));
  const transformer = (name: string, x: Value): Value =>
    b.scope(name, () => spatialTransformer(m, name, x, { channels: x.shape[1] as number, heads, groups, context }));

  let h = m.conv2d(sample, 'conv_in', config.latentChannels, base, 3);
  const skips: Value[] = [h];
  channels.forEach((out, level) => {
    for (let j = 0; j < layersPerBlock; j++) {
      h = resnet(`down_blocks.${level}.resnets.${j}`, h, out);
      if (crossAttention[level] === true) h = transformer(`down_blocks.${level}.attentions.${j}`, h);
      skips.push(h);
    }
    if (level < channels.length - 1) {
      h = downsample(m, `down_blocks.${level}.downsamplers.0`, h, out, false);
      skips.push(h);
    }
  });

  const deepest = channels[channels.length - 1]!;
  h = resnet('mid_block.resnets.0', h, deepest);
  h = transformer('mid_block.attentions.0', h);
  h = resnet('mid_block.resnets.1', h, deepest);

  const reversed = [...channels].reverse();
  const reversedAttention = [...crossAttention].reverse();
  reversed.forEach((out, level) => {
    for (let j = 0; j <= layersPerBlock; j++) {
      h = resnet(`up_blocks.${level}.resnets.${j}`, b.concat([h, skips.pop()!], 1), out);
      if (reversedAttention[level] === true) h = transformer(`up_blocks.${level}.attentions.${j}`, h);
    }
    if (level < reversed.length - 1) h = upsample(m, `up_blocks.${level}.upsamplers.0`, h, out);
  });

  const out = m.conv2d(m.silu(m.groupNorm(h, 'conv_norm_out', groups, RESNET_EPSILON)), 'conv_out', base, config.latentChannels, 3);
  b.output(out, 'out_sample');
  return { model: b.model({ docString: 'teambooth-tiny unet (UNet2DConditionModel-like)' }), parameters: m.parameterCount };
}
