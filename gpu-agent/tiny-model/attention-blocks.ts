import type { Value } from '../onnx/graph-builder.ts';
import type { ModuleBuilder } from './module-builder.ts';

/** Parameter names of the four projections of one attention layer. */
export interface AttentionNames {
  q: string;
  k: string;
  v: string;
  out: string;
}

/** diffusers' names: `to_q`, `to_k`, `to_v`, `to_out.0`. */
export function diffusersAttentionNames(prefix: string): AttentionNames {
  return { q: `${prefix}.to_q`, k: `${prefix}.to_k`, v: `${prefix}.to_v`, out: `${prefix}.to_out.0` };
}

/** Options of {@link multiHeadAttention}. */
export interface AttentionOptions {
  heads: number;
  /** Keys and values come from here (cross-attention); default: `x` itself. */
  context?: { value: Value; width: number };
  /** Biases on the q, k and v projections (CLIP and the VAE have them, the UNet does not). */
  qkvBias: boolean;
  /** Added to the attention scores, broadcast to `[batch, heads, queries, keys]` (e.g. a causal mask). */
  mask?: Value;
}

/**
 * Scaled dot-product attention over `[batch, tokens, width]`: project q, k, v, split into heads,
 * `softmax(q k^T / sqrt(d) + mask) v`, merge heads, project out. Returns `[batch, tokens, width]`.
 */
export function multiHeadAttention(m: ModuleBuilder, names: AttentionNames, x: Value, width: number, options: AttentionOptions): Value {
  const { b } = m;
  const [batch, tokens] = x.shape as [string | number, number];
  const heads = options.heads;
  if (width % heads !== 0) throw new Error(`${names.q}: width ${width} does not split into ${heads} heads`);
  const headDim = width / heads;
  const context = options.context?.value ?? x;
  const contextWidth = options.context?.width ?? width;
  const keys = context.shape[1] as number;
  const q = m.linear(x, names.q, width, width, { bias: options.qkvBias });
  const k = m.linear(context, names.k, contextWidth, width, { bias: options.qkvBias });
  const v = m.linear(context, names.v, contextWidth, width, { bias: options.qkvBias });
  const qh = b.transpose(b.reshape(b.mul(q, 1 / Math.sqrt(headDim)), [batch, tokens, heads, headDim]), [0, 2, 1, 3]);
  const kh = b.transpose(b.reshape(k, [batch, keys, heads, headDim]), [0, 2, 3, 1]);
  const vh = b.transpose(b.reshape(v, [batch, keys, heads, headDim]), [0, 2, 1, 3]);
  let scores = b.matMul(qh, kh);
  if (options.mask !== undefined) scores = b.add(scores, options.mask);
  const attended = b.matMul(b.softmax(scores, -1), vh);
  const merged = b.reshape(b.transpose(attended, [0, 2, 1, 3]), [batch, tokens, width]);
  return m.linear(merged, names.out, width, width);
}

/** NCHW -> `[batch, height*width, channels]`. */
export function toTokens(m: ModuleBuilder, x: Value): Value {
  const [batch, channels, height, width] = x.shape as [string | number, number, number, number];
  return m.b.transpose(m.b.reshape(x, [batch, channels, height * width]), [0, 2, 1]);
}

/** `[batch, height*width, channels]` -> NCHW. */
export function fromTokens(m: ModuleBuilder, tokens: Value, height: number, width: number): Value {
  const [batch, , channels] = tokens.shape as [string | number, number, number];
  return m.b.reshape(m.b.transpose(tokens, [0, 2, 1]), [batch, channels, height, width]);
}

/** Options of {@link spatialTransformer}. */
export interface SpatialTransformerOptions {
  channels: number;
  heads: number;
  groups: number;
  context: { value: Value; width: number };
}

/**
 * diffusers' Transformer2DModel as in Stable Diffusion 1.5 (one BasicTransformerBlock, 1x1
 * conv projections): self-attention, cross-attention to the text, GEGLU feed-forward, each
 * pre-LayerNorm with a residual, around a GroupNorm, and a residual over the whole block.
 */
export function spatialTransformer(m: ModuleBuilder, name: string, x: Value, options: SpatialTransformerOptions): Value {
  const { b } = m;
  const { channels, heads } = options;
  const [, , height, width] = x.shape as [string | number, number, number, number];
  const normed = m.groupNorm(x, `${name}.norm`, options.groups, 1e-6);
  let h = toTokens(m, m.conv2d(normed, `${name}.proj_in`, channels, channels, 1));
  const block = `${name}.transformer_blocks.0`;
  h = b.add(h, multiHeadAttention(m, diffusersAttentionNames(`${block}.attn1`), m.layerNorm(h, `${block}.norm1`, channels), channels, { heads, qkvBias: false }));
  h = b.add(h, multiHeadAttention(m, diffusersAttentionNames(`${block}.attn2`), m.layerNorm(h, `${block}.norm2`, channels), channels, { heads, qkvBias: false, context: options.context }));
  const inner = channels * 4;
  const projected = m.linear(m.layerNorm(h, `${block}.norm3`, channels), `${block}.ff.net.0.proj`, channels, inner * 2);
  const hidden = b.slice(projected, { starts: [0], ends: [inner], axes: [2] });
  const gate = b.slice(projected, { starts: [inner], ends: [inner * 2], axes: [2] });
  h = b.add(h, m.linear(b.mul(hidden, m.gelu(gate)), `${block}.ff.net.2`, inner, channels));
  const out = m.conv2d(fromTokens(m, h, height, width), `${name}.proj_out`, channels, channels, 1);
  return b.add(out, x);
}

/** The VAE's mid-block attention: GroupNorm, single-head self-attention over pixels with biases, residual. */
export function vaeAttention(m: ModuleBuilder, name: string, x: Value, channels: number, groups: number): Value {
  const [, , height, width] = x.shape as [string | number, number, number, number];
  const tokens = toTokens(m, m.groupNorm(x, `${name}.group_norm`, groups, 1e-6));
  const attended = multiHeadAttention(m, diffusersAttentionNames(name), tokens, channels, { heads: 1, qkvBias: true });
  return m.b.add(fromTokens(m, attended, height, width), x);
}
