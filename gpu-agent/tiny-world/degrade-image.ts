import type { RgbImage } from '../image/rgb-image.ts';
import { checkRgbImage } from '../image/rgb-image.ts';
import type { Prng } from '../random/prng.ts';

/** How to spoil an image, to test measurements on images like a model's outputs. */
export interface Degradation {
  /** Standard deviation (pixels) of a Gaussian blur; 0 or absent: no blur. */
  blurSigma?: number;
  /** Standard deviation (8-bit levels) of additive Gaussian noise per channel; 0 or absent: none. */
  noiseSigma?: number;
}

/**
 * A blurred (separable Gaussian, edges clamped) and then noisy (independent Gaussian noise per
 * channel, drawn from `prng`) copy of an image, rounded and clamped to 8 bits. Deterministic for a
 * given generator state; the input is left untouched.
 */
export function degradeImage(image: RgbImage, degradation: Degradation, prng: Prng): RgbImage {
  checkRgbImage(image);
  const { width, height } = image;
  let pixels: Float32Array = Float32Array.from(image.data);
  const sigma = degradation.blurSigma ?? 0;
  if (sigma > 0) {
    const kernel = gaussianKernel(sigma);
    pixels = blurPass(blurPass(pixels, width, height, kernel, true), width, height, kernel, false);
  }
  const noise = degradation.noiseSigma ?? 0;
  const data = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i += 2) {
    const [a, b] = noise > 0 ? prng.normalPair() : [0, 0];
    data[i] = clampByte(pixels[i]! + a * noise);
    if (i + 1 < pixels.length) data[i + 1] = clampByte(pixels[i + 1]! + b * noise);
  }
  return { width, height, data };
}

function clampByte(value: number): number {
  return Math.min(Math.max(Math.round(value), 0), 255);
}

function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.ceil(3 * sigma);
  const kernel = new Float32Array(2 * radius + 1);
  let total = 0;
  for (let k = -radius; k <= radius; k++) {
    kernel[k + radius] = Math.exp(-(k * k) / (2 * sigma * sigma));
    total += kernel[k + radius]!;
  }
  for (let k = 0; k < kernel.length; k++) kernel[k] /= total;
  return kernel;
}

function blurPass(pixels: Float32Array, width: number, height: number, kernel: Float32Array, horizontal: boolean): Float32Array {
  const out = new Float32Array(pixels.length);
  const radius = (kernel.length - 1) / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let k = -radius; k <= radius; k++) {
          const sx = horizontal ? Math.min(Math.max(x + k, 0), width - 1) : x;
          const sy = horizontal ? y : Math.min(Math.max(y + k, 0), height - 1);
          sum += kernel[k + radius]! * pixels[(sy * width + sx) * 3 + c]!;
        }
        out[(y * width + x) * 3 + c] = sum;
      }
    }
  }
  return out;
}
