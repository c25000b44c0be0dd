import type { Value } from '../onnx/graph-builder.ts';
import type { ModuleBuilder } from './module-builder.ts';

/** Options of {@link resnetBlock}. */
export interface ResnetOptions {
  inChannels: number;
  outChannels: number;
  groups: number;
  epsilon: number;
  /** The UNet's time embedding `[batch, dim]`, projected and added after the first conv; the VAE has none. */
  timeEmbedding?: { value: Value; width: number };
}

/**
 * diffusers' ResnetBlock2D: GroupNorm, SiLU, conv, (+ time embedding), GroupNorm, SiLU, conv,
 * plus the input (through a 1x1 `conv_shortcut` when the channel count changes).
 */
export function resnetBlock(m: ModuleBuilder, name: string, x: Value, options: ResnetOptions): Value {
  const { b } = m;
  const { inChannels, outChannels, groups, epsilon } = options;
  let h = m.conv2d(m.silu(m.groupNorm(x, `${name}.norm1`, groups, epsilon)), `${name}.conv1`, inChannels, outChannels, 3);
  if (options.timeEmbedding !== undefined) {
    const projected = m.linear(m.silu(options.timeEmbedding.value), `${name}.time_emb_proj`, options.timeEmbedding.width, outChannels);
    h = b.add(h, b.unsqueeze(projected, [2, 3]));
  }
  h = m.conv2d(m.silu(m.groupNorm(h, `${name}.norm2`, groups, epsilon)), `${name}.conv2`, outChannels, outChannels, 3);
  const shortcut = inChannels === outChannels ? x : m.conv2d(x, `${name}.conv_shortcut`, inChannels, outChannels, 1);
  return b.add(shortcut, h);
}

/**
 * Halves height and width with a stride-2 3x3 conv. The UNet pads 1 on every side; the VAE pads
 * only bottom and right (`asymmetric`), as diffusers does.
 */
export function downsample(m: ModuleBuilder, name: string, x: Value, channels: number, asymmetric: boolean): Value {
  return m.conv2d(x, `${name}.conv`, channels, channels, 3, { stride: 2, pads: asymmetric ? [0, 0, 1, 1] : [1, 1, 1, 1] });
}

/** Doubles height and width: nearest-neighbour resize, then a 3x3 conv. */
export function upsample(m: ModuleBuilder, name: string, x: Value, channels: number): Value {
  return m.conv2d(m.b.resizeNearest(x, [1, 1, 2, 2]), `${name}.conv`, channels, channels, 3);
}
