/**
 * Measures DreamBooth-LoRA training on `teambooth-tiny`: builds the model into a temporary folder,
 * trains on three glyph photos, and prints steps per second with and without prior preservation,
 * next to the baseline of the same run: one UNet forward pass (inference) at the same batch size.
 * Prints figures; asserts nothing.
 *
 *   npm run bench:train -- [--threads N] [--steps N] [--device cpu|cuda|auto]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createSession, type Device, type HostTensor } from '../gpu-agent/onnx/runtime.ts';
import { loadStableDiffusionModel } from '../gpu-agent/pipeline/model-directory.ts';
import { ensureTinyModel } from '../gpu-agent/tiny-model/index.ts';
import { seededRandom } from '../gpu-agent/tiny-model/seeded-random.ts';
import { glyphPhotos } from '../gpu-agent/training/testing/glyph-photos.ts';
import { trainDreamBoothLora } from '../gpu-agent/training/train-dreambooth-lora.ts';

const { values } = parseArgs({ options: { threads: { type: 'string', default: '2' }, steps: { type: 'string', default: '200' }, device: { type: 'string', default: 'cpu' } } });
const threads = Number(values.threads);
const steps = Number(values.steps);
const device = values.device as Device;
const logger = pino({ level: 'warn' });
const dir = await mkdtemp(join(tmpdir(), 'teambooth-train-bench-'));
try {
  const modelDir = await ensureTinyModel(join(dir, 'models'));
  const model = await loadStableDiffusionModel(modelDir, { device, logger, intraOpThreads: threads });
  const images = await glyphPhotos(3);
  const request = { images, token: 'zxq', classWord: 'glyph', steps, learningRate: 3e-3, rank: 4, alpha: 4, seed: 1 };
  const unet = await createSession(join(modelDir, 'unet/model.onnx'), { device, logger, intraOpThreads: threads });
  const random = seededRandom(1, 'bench');
  const forwardMs = async (rows: number): Promise<number> => {
    const normal = (dims: number[]): HostTensor => ({ dtype: 'float32', dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => random.normal()) });
    const feeds = {
      sample: normal([rows, 4, 8, 8]),
      timestep: { dtype: 'int64' as const, dims: [rows], data: new BigInt64Array(rows).fill(500n) },
      encoder_hidden_states: normal([rows, 77, 64]),
    };
    await unet.run(feeds);
    const started = performance.now();
    for (let i = 0; i < 50; i++) await unet.run(feeds);
    return (performance.now() - started) / 50;
  };
  for (const [label, rows, prior] of [['batch 1', 1, undefined], ['batch 1 + prior (2 rows)', 2, { weight: 1, classImageCount: 2, generationSteps: 4 }]] as const) {
    const result = await trainDreamBoothLora(model, { ...request, ...(prior === undefined ? {} : { priorPreservation: prior }) }, { device, intraOpThreads: threads });
    const stepMs = result.timings.trainMs / steps;
    const baseline = await forwardMs(rows);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(
      `${label}: ${result.timings.stepsPerSecond.toFixed(1)} steps/s (${stepMs.toFixed(2)} ms/step) on ${result.provider}, ` +
        `prepare ${result.timings.prepareMs.toFixed(0)} ms; UNet forward ${baseline.toFixed(2)} ms; step/forward ratio ${(stepMs / baseline).toFixed(2)}; ` +
        `loss first 20 ${mean(result.losses.slice(0, 20)).toFixed(4)}, last 20 ${mean(result.losses.slice(-20)).toFixed(4)}`,
    );
  }
  await unet.release();
  await model.release();
  console.log(`peak memory (max RSS of this process): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
