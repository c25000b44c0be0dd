import type { RgbImage } from '../image/rgb-image.ts';
import { runBatched, fixedBatchOf } from './batched-run.ts';
import { floatTensor, toFloat32 } from './host-tensors.ts';
import type { StableDiffusionModel } from './model-directory.ts';

/**
 * Decodes `count` latents (row-concatenated, each `[channels, h, w]`) with the VAE decoder, one
 * image per run to bound memory: latents are divided by the scaling factor (plus the shift
 * factor), and the decoder's [-1, 1] output becomes 8-bit RGB as diffusers does it
 * (`round(clamp(x / 2 + 0.5, 0, 1) * 255)`).
 */
export async function decodeLatents(
  model: StableDiffusionModel,
  latents: Float32Array,
  count: number,
  size: { width: number; height: number; latentHeight: number; latentWidth: number },
  signal: AbortSignal | undefined,
): Promise<RgbImage[]> {
  const { io, geometry } = model;
  const rowSize = latents.length / count;
  const rowDims = [geometry.latentChannels, size.latentHeight, size.latentWidth];
  const images: RgbImage[] = [];
  for (let i = 0; i < count; i++) {
    signal?.throwIfAborted();
    const scaled = new Float32Array(rowSize);
    const row = latents.subarray(i * rowSize, (i + 1) * rowSize);
    for (let j = 0; j < rowSize; j++) scaled[j] = (row[j] ?? 0) / geometry.scalingFactor + geometry.shiftFactor;
    const pixels = await runBatched(
      model.vaeDecoder,
      1,
      {
        [io.latentSample.name]: {
          data: scaled,
          rowDims,
          fixedBatch: fixedBatchOf(io.latentSample.dims),
          toTensor: (data, dims) => floatTensor(data, dims, io.latentSample.dtype),
        },
      },
      () => ({}),
      { name: io.decodedImage.name, toFloat32 },
      signal,
    );
    images.push(toRgb(pixels, size.width, size.height));
  }
  return images;
}

/** CHW floats in [-1, 1] (3 channels) to interleaved 8-bit RGB. */
function toRgb(chw: Float32Array, width: number, height: number): RgbImage {
  const plane = width * height;
  if (chw.length !== 3 * plane) {
    throw new Error(`vae_decoder returned ${chw.length} values for one image, expected 3x${height}x${width} = ${3 * plane}; its output is not an RGB image of the requested size`);
  }
  const data = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const v = (chw[c * plane + p] ?? 0) / 2 + 0.5;
      data[p * 3 + c] = Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * 255);
    }
  }
  return { width, height, data };
}
