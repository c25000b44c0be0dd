import type { RgbImage } from '../image/rgb-image.ts';
import type { HostTensor } from '../onnx/runtime.ts';
import { normalValues, Prng } from '../random/prng.ts';
import { writePredictionTarget, type PredictionType } from '../schedulers/prediction-target.ts';

/** Images as one `[n, 3, H, W]` float32 tensor in [-1, 1], Stable Diffusion's convention. */
export function imagesToTensor(images: readonly RgbImage[]): HostTensor {
  const first = images[0];
  if (first === undefined) throw new RangeError('no images to batch');
  const { width, height } = first;
  const plane = width * height;
  const data = new Float32Array(images.length * 3 * plane);
  images.forEach((image, n) => {
    if (image.width !== width || image.height !== height) throw new RangeError(`image ${n} is ${image.width}x${image.height}, the batch is ${width}x${height}`);
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) data[(n * 3 + c) * plane + p] = image.data[p * 3 + c]! / 127.5 - 1;
    }
  });
  return { dtype: 'float32', dims: [images.length, 3, height, width], data };
}

/** A pool of cached, scaled latents with their captions' token ids. */
export interface LatentPool {
  /** `[n, C, h, w]` latents already multiplied by the scaling factor. */
  readonly latents: Float32Array;
  /** Values of one latent, `C * h * w`. */
  readonly latentDims: readonly number[];
  /** Token ids of each caption, `maxTokens` each. */
  readonly ids: readonly (readonly number[])[];
  /** Token ids of the empty prompt (for caption dropout). */
  readonly emptyIds: readonly number[];
}

/** The pool rows at `indices`, in that order: a smaller pool over the same latents' values (copied). */
export function subsetPool(pool: LatentPool, indices: readonly number[]): LatentPool {
  if (indices.length === 0) throw new RangeError('a pool subset needs at least one row');
  const size = pool.latentDims.reduce((a, b) => a * b, 1);
  const latents = new Float32Array(indices.length * size);
  indices.forEach((index, row) => latents.set(pool.latents.subarray(index * size, (index + 1) * size), row * size));
  return { latents, latentDims: pool.latentDims, ids: indices.map((index) => pool.ids[index]!), emptyIds: pool.emptyIds };
}

/** Settings of {@link sampleDenoiserBatch}. */
export interface DenoiserBatchSettings {
  rows: number;
  /** Probability that a row's caption is replaced by the empty prompt, so classifier-free guidance has an unconditional model. */
  captionDropout: number;
  /** alpha_bar of every train timestep (the scheduler's cumulative product). */
  alphasCumprod: Float64Array;
  /** What the UNet learns to predict: the noise, or v. */
  predictionType: PredictionType;
  /**
   * Cumulative distribution of the train timestep (from {@link minSnrTimestepDistribution});
   * uniform when absent.
   */
  timestepCdf?: Float64Array;
}

/**
 * The timestep distribution that gives, in expectation, the gradient of Min-SNR-gamma weighting
 * (Hang et al. 2023) for epsilon prediction: `p(t) ∝ min(SNR_t, gamma) / SNR_t` with
 * `SNR_t = abar_t / (1 - abar_t)`. Sampling t this way instead of weighting the loss spends the
 * steps on the noisy timesteps that decide an image's layout, shape and colours, where uniform
 * sampling spends most on nearly clean latents. Returns the cumulative distribution.
 */
export function minSnrTimestepDistribution(alphasCumprod: Float64Array, gamma: number): Float64Array {
  if (!(gamma > 0)) throw new RangeError(`min-SNR gamma must be positive (got ${gamma})`);
  const cdf = new Float64Array(alphasCumprod.length);
  let total = 0;
  alphasCumprod.forEach((abar, t) => {
    const snr = abar / (1 - abar);
    total += Math.min(snr, gamma) / snr;
    cdf[t] = total;
  });
  return cdf.map((c) => c / total);
}

/** The first index whose cumulative probability exceeds `u`. */
function drawFromCdf(cdf: Float64Array, u: number): number {
  let low = 0;
  let high = cdf.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (cdf[mid]! > u) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** One denoising batch: the feeds of the denoiser loss graph by input role. */
export interface DenoiserBatch {
  readonly inputIds: HostTensor;
  readonly sample: HostTensor;
  readonly timestep: HostTensor;
  readonly target: HostTensor;
}

/**
 * Draws one batch: rows of the pool with replacement, a train timestep per row (uniform, or from `timestepCdf`), Gaussian
 * noise `eps`, `x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps` (DDPM's forward process), its
 * target (`eps`, or `v` for v-prediction: {@link writePredictionTarget}), and the caption (or,
 * with probability `captionDropout`, the empty prompt). Every draw comes from `prng`.
 */
export function sampleDenoiserBatch(pool: LatentPool, settings: DenoiserBatchSettings, prng: Prng): DenoiserBatch {
  const { rows, alphasCumprod } = settings;
  const size = pool.latentDims.reduce((a, b) => a * b, 1);
  const poolRows = pool.ids.length;
  const maxTokens = pool.emptyIds.length;
  const ids = new Int32Array(rows * maxTokens);
  const timesteps = new BigInt64Array(rows);
  const sample = new Float32Array(rows * size);
  const noise = normalValues(prng, rows * size);
  const target = new Float32Array(rows * size);
  for (let r = 0; r < rows; r++) {
    const index = prng.int(0, poolRows - 1);
    const t = settings.timestepCdf === undefined ? prng.int(0, alphasCumprod.length - 1) : drawFromCdf(settings.timestepCdf, prng.next());
    const dropped = prng.chance(settings.captionDropout);
    ids.set(dropped ? pool.emptyIds : pool.ids[index]!, r * maxTokens);
    timesteps[r] = BigInt(t);
    const signal = Math.sqrt(alphasCumprod[t]!);
    const spread = Math.sqrt(1 - alphasCumprod[t]!);
    const x0 = pool.latents.subarray(index * size, (index + 1) * size);
    const eps = noise.subarray(r * size, (r + 1) * size);
    for (let j = 0; j < size; j++) sample[r * size + j] = signal * x0[j]! + spread * eps[j]!;
    writePredictionTarget(target.subarray(r * size, (r + 1) * size), settings.predictionType, alphasCumprod[t]!, x0, eps);
  }
  const dims = [rows, ...pool.latentDims];
  return {
    inputIds: { dtype: 'int32', dims: [rows, maxTokens], data: ids },
    sample: { dtype: 'float32', dims, data: sample },
    timestep: { dtype: 'int64', dims: [rows], data: timesteps },
    target: { dtype: 'float32', dims, data: target },
  };
}
