import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { OnnxModel } from '../onnx/ir.ts';
import { createSession, type Device } from '../onnx/runtime.ts';
import { writeModel } from '../onnx/write-model.ts';
import type { ClipTokenizer } from '../tokenizer/clip-tokenizer.ts';
import type { TinyWorldSample } from '../tiny-world/dataset.ts';
import type { LatentPool } from './tiny-world-batches.ts';
import { imagesToTensor } from './tiny-world-batches.ts';

/** Options of {@link encodeLatentPool}. */
export interface EncodeLatentPoolOptions {
  device: Device;
  logger: Logger;
  intraOpThreads?: number;
  /** Images per encoder run. */
  batch?: number;
  signal?: AbortSignal;
}

/**
 * Encodes data-set samples once with a frozen VAE encoder (the component graph with trained
 * weights) and tokenizes their captions, then picks the scaling factor `1 / std(latents)` that
 * gives the diffusion model unit-variance latents (as SD's 0.18215 was chosen) and returns the
 * pool with the latents already scaled.
 */
export async function encodeLatentPool(encoder: OnnxModel, samples: readonly TinyWorldSample[], tokenizer: ClipTokenizer, options: EncodeLatentPoolOptions): Promise<{ pool: LatentPool; scalingFactor: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'teambooth-vae-encoder-'));
  try {
    const path = join(dir, 'model.onnx');
    await writeModel(path, encoder);
    const session = await createSession(path, { device: options.device, logger: options.logger, ...(options.intraOpThreads === undefined ? {} : { intraOpThreads: options.intraOpThreads }) });
    try {
      const batch = options.batch ?? 64;
      const parts: Float32Array[] = [];
      let latentDims: readonly number[] = [];
      for (let start = 0; start < samples.length; start += batch) {
        options.signal?.throwIfAborted();
        const images = samples.slice(start, start + batch).map((s) => s.image);
        const out = await session.run({ sample: imagesToTensor(images) });
        const latent = out.latent_sample!;
        latentDims = latent.dims.slice(1);
        parts.push(latent.data as Float32Array);
      }
      const latents = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let offset = 0;
      for (const part of parts) {
        latents.set(part, offset);
        offset += part.length;
      }
      let sum = 0;
      let squares = 0;
      for (const v of latents) {
        sum += v;
        squares += v * v;
      }
      const mean = sum / latents.length;
      const std = Math.sqrt(Math.max(squares / latents.length - mean * mean, 1e-12));
      const scalingFactor = Number((1 / std).toPrecision(5));
      for (let i = 0; i < latents.length; i++) latents[i]! *= scalingFactor;
      const ids = samples.map((s) => tokenizer.encode(s.caption).ids);
      options.logger.info({ images: samples.length, latentMean: Number(mean.toPrecision(4)), latentStd: Number(std.toPrecision(4)), scalingFactor }, 'encoded the latent pool');
      return { pool: { latents, latentDims, ids, emptyIds: tokenizer.encode('').ids }, scalingFactor };
    } finally {
      await session.release();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
