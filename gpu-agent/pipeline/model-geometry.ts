import { z } from 'zod';
import type { TensorInfo } from '../onnx/runtime.ts';

/** The fields of `unet/config.json` the pipeline reads (diffusers UNet2DConditionModel config). */
export const unetConfigSchema = z.looseObject({
  in_channels: z.int().positive().optional(),
  sample_size: z.union([z.int().positive(), z.tuple([z.int().positive(), z.int().positive()])]).optional(),
  block_out_channels: z.array(z.int().positive()).min(1).optional(),
});

/** The fields of `vae_decoder/config.json` the pipeline reads (diffusers AutoencoderKL config). */
export const vaeConfigSchema = z.looseObject({
  latent_channels: z.int().positive().optional(),
  block_out_channels: z.array(z.int().positive()).min(1).optional(),
  scaling_factor: z.number().positive().optional(),
  shift_factor: z.number().nullable().optional(),
  sample_size: z.union([z.int().positive(), z.tuple([z.int().positive(), z.int().positive()])]).optional(),
});

export type UnetConfig = z.infer<typeof unetConfigSchema>;
export type VaeConfig = z.infer<typeof vaeConfigSchema>;

/** Stable Diffusion's VAE scaling factor, used when vae_decoder/config.json does not give one. */
export const DEFAULT_SCALING_FACTOR = 0.18215;

/** Sizes of a model, read from its configs and session metadata (never assumed). */
export interface ModelGeometry {
  /** Channels of a latent (4 for Stable Diffusion 1.x/2.x). */
  latentChannels: number;
  /** Image pixels per latent pixel along each axis (8 for Stable Diffusion). */
  latentScale: number;
  /** The size the model was trained at (512x512 for SD 1.5). */
  nativeWidth: number;
  nativeHeight: number;
  /** Width and height must be multiples of this: the latent scale times the UNet's total downsampling. */
  sizeMultiple: number;
  /** Smallest and largest allowed width or height. */
  minSize: number;
  maxSize: number;
  /** Set when the UNet was exported with static spatial dims: the only size it accepts. */
  fixedSize?: { width: number; height: number };
  /** Token ids per prompt (77 for CLIP). */
  maxTokens: number;
  /** Latents are divided by this before decoding (and `shiftFactor` added). */
  scalingFactor: number;
  shiftFactor: number;
}

/** What {@link deriveGeometry} reads. */
export interface GeometryFacts {
  unetSample: TensorInfo;
  vaeLatent: TensorInfo;
  vaeImage: TensorInfo | undefined;
  textInputIds: TensorInfo;
  unetConfig: UnetConfig;
  vaeConfig: VaeConfig;
  tokenizerMaxLength: number;
  /** The decoder's measured upsampling, when the config does not tell (see model-directory.ts). */
  measuredVaeScale?: number;
}

/** A model whose files disagree with each other, or that lack a size the pipeline needs. */
export class ModelGeometryError extends Error {
  override readonly name = 'ModelGeometryError';
}

/**
 * Derives the model's sizes: latent channels from the UNet's `sample` input (else
 * unet/config.json `in_channels`), the latent scale from the VAE's `block_out_channels` (one 2x
 * upsampler between consecutive blocks, as diffusers computes it) or its static dims or the
 * measured factor, the native size from the UNet's `sample_size`, and the token count from the
 * tokenizer. Throws a {@link ModelGeometryError} when the components disagree.
 */
export function deriveGeometry(facts: GeometryFacts): ModelGeometry {
  const sampleDims = facts.unetSample.dims;
  if (sampleDims.length !== 4) throw new ModelGeometryError(`unet input "sample" must have 4 dims [batch, channels, height, width] (has [${sampleDims.join(', ')}])`);
  const latentChannels = staticDim(sampleDims[1]) ?? facts.unetConfig.in_channels;
  if (latentChannels === undefined) throw new ModelGeometryError('cannot tell the latent channels: unet input "sample" has a symbolic channel dim and unet/config.json has no in_channels');
  const vaeChannels = staticDim(facts.vaeLatent.dims[1]) ?? facts.vaeConfig.latent_channels;
  if (vaeChannels !== undefined && vaeChannels !== latentChannels) {
    throw new ModelGeometryError(`the unet works on ${latentChannels}-channel latents but vae_decoder expects ${vaeChannels} channels`);
  }

  const blocks = facts.vaeConfig.block_out_channels;
  const latentScale =
    (blocks === undefined ? undefined : 2 ** (blocks.length - 1)) ??
    ratio(facts.vaeImage?.dims[2], facts.vaeLatent.dims[2]) ??
    facts.measuredVaeScale;
  if (latentScale === undefined) throw new ModelGeometryError('cannot tell the VAE scale: vae_decoder/config.json has no block_out_channels and it was not measured');

  const fixedH = staticDim(sampleDims[2]);
  const fixedW = staticDim(sampleDims[3]);
  const fixedSize = fixedH !== undefined && fixedW !== undefined ? { width: fixedW * latentScale, height: fixedH * latentScale } : undefined;
  const [latentH, latentW] = pair(facts.unetConfig.sample_size) ?? (fixedH !== undefined && fixedW !== undefined ? [fixedH, fixedW] : [undefined, undefined]);
  const [pixelH, pixelW] = latentH !== undefined && latentW !== undefined ? [latentH * latentScale, latentW * latentScale] : (pair(facts.vaeConfig.sample_size) ?? []);
  if (pixelH === undefined || pixelW === undefined) throw new ModelGeometryError('cannot tell the native image size: unet/config.json has no sample_size');

  const unetBlocks = facts.unetConfig.block_out_channels;
  const sizeMultiple = latentScale * (unetBlocks === undefined ? 1 : 2 ** (unetBlocks.length - 1));
  const smallest = Math.min(pixelW, pixelH);
  const minSize = Math.max(sizeMultiple, Math.ceil(smallest / 4 / sizeMultiple) * sizeMultiple);
  const maxSize = Math.max(minSize, Math.floor((Math.max(pixelW, pixelH) * 4) / sizeMultiple) * sizeMultiple);

  const maxTokens = facts.tokenizerMaxLength;
  const idsLength = staticDim(facts.textInputIds.dims[1]);
  if (idsLength !== undefined && idsLength !== maxTokens) {
    throw new ModelGeometryError(`the tokenizer makes ${maxTokens} token ids but text_encoder expects ${idsLength}`);
  }
  return {
    latentChannels,
    latentScale,
    nativeWidth: fixedSize?.width ?? pixelW,
    nativeHeight: fixedSize?.height ?? pixelH,
    sizeMultiple,
    minSize,
    maxSize,
    ...(fixedSize === undefined ? {} : { fixedSize }),
    maxTokens,
    scalingFactor: facts.vaeConfig.scaling_factor ?? DEFAULT_SCALING_FACTOR,
    shiftFactor: facts.vaeConfig.shift_factor ?? 0,
  };
}

/** A dim as a number when it is static and positive. */
export function staticDim(dim: number | string | undefined): number | undefined {
  return typeof dim === 'number' && dim > 0 ? dim : undefined;
}

function ratio(big: number | string | undefined, small: number | string | undefined): number | undefined {
  const b = staticDim(big);
  const s = staticDim(small);
  return b === undefined || s === undefined || b % s !== 0 ? undefined : b / s;
}

function pair(size: number | readonly [number, number] | undefined): [number, number] | undefined {
  if (size === undefined) return undefined;
  return typeof size === 'number' ? [size, size] : [size[0], size[1]];
}
