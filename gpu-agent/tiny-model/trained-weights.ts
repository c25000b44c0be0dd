import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseSafetensors } from '../lora/parse-safetensors.ts';
import { serializeSafetensors } from '../lora/serialize-safetensors.ts';
import type { SafetensorsTensor } from '../lora/safetensors-format.ts';
import type { WeightSource } from './module-builder.ts';

/** The committed weights of the default `teambooth-tiny`, trained by `npm run train:tiny-base`. */
export const TRAINED_WEIGHTS_PATH = fileURLToPath(new URL('./weights/teambooth-tiny.safetensors', import.meta.url));

/** The key prefixes of the weights file, one per component (the VAE's encoder and decoder share `vae.`, as in diffusers). */
export const WEIGHT_PREFIXES = { textEncoder: 'text_encoder.', unet: 'unet.', vae: 'vae.' } as const;

/** Trained weights of every component, keyed `<prefix><parameter name>` (`unet.conv_in.weight`). */
export interface TrainedTinyWeights {
  readonly tensors: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>;
  /** The VAE latent scaling factor that gives the training latents unit variance (the `scaling_factor` of the VAE configs). */
  readonly scalingFactor: number;
  /** Free-form facts about the training run (seed, steps, losses), as strings. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** The parameters of one component: a {@link WeightSource} over the keys with `prefix`. */
export function componentWeights(weights: TrainedTinyWeights, prefix: string): WeightSource {
  return (name) => weights.tensors.get(`${prefix}${name}`)?.data;
}

/** The safetensors bytes of trained weights (float32, `scaling_factor` in the metadata); same weights, same bytes. */
export function serializeTrainedWeights(weights: TrainedTinyWeights): Uint8Array {
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, tensor] of weights.tensors) {
    const data = Float32Array.from(tensor.data);
    tensors.set(name, { dtype: 'F32', shape: tensor.shape, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
  }
  return serializeSafetensors(tensors, { ...weights.metadata, scaling_factor: String(weights.scalingFactor) });
}

/** Parses trained weights written by {@link serializeTrainedWeights}. */
export function parseTrainedWeights(bytes: Uint8Array): TrainedTinyWeights {
  const content = parseSafetensors(bytes);
  const scalingFactor = Number(content.metadata.scaling_factor);
  if (!(scalingFactor > 0)) throw new Error(`the tiny model weights lack a positive "scaling_factor" in their metadata (got ${content.metadata.scaling_factor})`);
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [name, tensor] of content.tensors) {
    if (tensor.dtype !== 'F32') throw new Error(`tiny model weight "${name}" is ${tensor.dtype}; F32 is expected`);
    const bytesCopy = Uint8Array.from(tensor.bytes);
    tensors.set(name, { shape: tensor.shape, data: new Float32Array(bytesCopy.buffer, 0, bytesCopy.byteLength / 4) });
  }
  const { scaling_factor: _, ...metadata } = content.metadata;
  return { tensors, scalingFactor, metadata };
}

/** A trained weights file with the SHA-256 of its bytes; throws when it cannot be read or parsed. */
export async function readTrainedWeightsFile(path: string, signal?: AbortSignal): Promise<{ weights: TrainedTinyWeights; sha256: string }> {
  const bytes = await readFile(path, signal === undefined ? {} : { signal });
  return { weights: parseTrainedWeights(bytes), sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** The committed weights file with its SHA-256, or undefined when the repository has none. */
export async function readCommittedWeights(path = TRAINED_WEIGHTS_PATH, signal?: AbortSignal): Promise<{ weights: TrainedTinyWeights; sha256: string } | undefined> {
  try {
    await stat(path);
  } catch {
    return undefined;
  }
  return readTrainedWeightsFile(path, signal);
}
