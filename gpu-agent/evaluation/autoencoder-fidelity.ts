import { join } from 'node:path';
import type { Logger } from 'pino';
import type { RgbImage } from '../image/rgb-image.ts';
import { createSession, type Device } from '../onnx/runtime.ts';
import { decodeLatents } from '../pipeline/decode-latents.ts';
import type { StableDiffusionModel } from '../pipeline/model-directory.ts';
import { encodeImage, toPrepared } from '../training/encode-training-data.ts';
import { datasetSample } from '../tiny-world/dataset.ts';
import { TinyWorldOracle } from '../tiny-world/oracle.ts';
import type { TinySizeClass } from '../tiny-world/size-classes.ts';
import type { Figure } from './figure.ts';
import { attributeFigures, matchAttributes, shapeBySize, type AttributeMatch } from './prompt-fidelity.ts';

/** An image through a model's VAE: encoded, then decoded. */
export type RoundTrip = (image: RgbImage, signal?: AbortSignal) => Promise<RgbImage>;

/** How much of the tiny world an autoencoder keeps: the ceiling of any prompt fidelity drawn through its decoder. */
export interface AutoencoderFidelity {
  /** Share of round-tripped images whose background colour, foreground colour and shape the oracle reads as drawn. */
  all: Figure;
  background: Figure;
  colour: Figure;
  shape: Figure;
  /** Shape read right, per drawn size class. */
  shapeBySize: Record<TinySizeClass, Figure>;
}

/** Options of {@link measureAutoencoderFidelity}. */
export interface AutoencoderFidelityOptions {
  /** Data-set images to round-trip (default 240). */
  count?: number;
  /** Data-set seed (default 777, a set no training stage of `train:tiny-base` draws from). */
  seed?: number;
  oracle?: TinyWorldOracle;
  signal?: AbortSignal;
}

/**
 * Reads `count` generator images after a round trip through an autoencoder (`datasetSample(seed,
 * i)`: every shape, colour, size and position) and scores them as prompt fidelity scores a
 * generated image against its prompt. A denoiser that produced exactly the latents of real images
 * would score this, so it bounds the base model's prompt fidelity from above.
 */
export async function measureAutoencoderFidelity(roundTrip: RoundTrip, options: AutoencoderFidelityOptions = {}): Promise<AutoencoderFidelity> {
  const oracle = options.oracle ?? new TinyWorldOracle();
  const count = options.count ?? 240;
  const seed = options.seed ?? 777;
  const matches: (AttributeMatch & { size: TinySizeClass })[] = [];
  for (let i = 0; i < count; i++) {
    options.signal?.throwIfAborted();
    const { image, labels } = datasetSample(seed, i);
    matches.push({ ...matchAttributes(oracle, await roundTrip(image, options.signal), labels), size: labels.size });
  }
  return { ...attributeFigures(matches), shapeBySize: shapeBySize(matches) };
}

/**
 * The round trip through a model's own VAE: `vae_encoder/model.onnx` (opened here; release it
 * with `close`) and the model's decoder, with the model's scaling and shift factors, as training
 * encodes photos and the pipeline decodes latents.
 */
export async function modelRoundTrip(model: StableDiffusionModel, options: { device: Device; logger: Logger; intraOpThreads?: number }): Promise<{ roundTrip: RoundTrip; close(): Promise<void> }> {
  const encoder = await createSession(join(model.directory, 'vae_encoder', 'model.onnx'), options);
  const { latentChannels, latentScale } = model.geometry;
  return {
    roundTrip: async (image, signal) => {
      const latent = await encodeImage(encoder, model, toPrepared(image, 'round trip'), signal);
      const [latentHeight, latentWidth] = [image.height / latentScale, image.width / latentScale];
      if (latent.length !== latentChannels * latentHeight * latentWidth) throw new Error(`vae_encoder gave ${latent.length} values for a ${image.width}x${image.height} image`);
      const [decoded] = await decodeLatents(model, latent, 1, { width: image.width, height: image.height, latentHeight, latentWidth }, signal);
      return decoded!;
    },
    close: () => encoder.release(),
  };
}

/** {@link measureAutoencoderFidelity} through a model's own VAE ({@link modelRoundTrip}), closing the encoder it opens. */
export async function measureModelAutoencoderFidelity(model: StableDiffusionModel, options: { device: Device; logger: Logger; intraOpThreads?: number }): Promise<AutoencoderFidelity> {
  const vae = await modelRoundTrip(model, options);
  return measureAutoencoderFidelity(vae.roundTrip).finally(() => vae.close());
}
