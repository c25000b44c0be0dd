/**
 * `npm run bench:imagine [-- --model DIR|tiny --device cpu|cuda|auto --steps N --size WxH --runs N]`:
 * text-to-image throughput of a model (default: the built-in tiny model on the CPU). Prints the
 * UNet step latency (p50/p99, classifier-free guidance on, so the UNet runs on batch 2), images
 * per second end to end (text encoder, all steps, VAE decode), and the UNet's FLOP count. The
 * in-run baseline is ONNX Runtime's own throughput on one square float32 MatMul of about the
 * FLOPs of a UNet step, on the same provider: the ratio says how close the UNet comes to
 * the runtime's raw matrix speed. Works with any diffusers ONNX directory (e.g. an SD 1.5 export
 * on a GPU machine); `--unet-gflops X` supplies the FLOP count when the graph cannot be counted.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { GraphBuilder } from '../gpu-agent/onnx/graph-builder.ts';
import { readModel } from '../gpu-agent/onnx/read-model.ts';
import { createSession } from '../gpu-agent/onnx/runtime.ts';
import type { Device, HostTensor, OnnxSession } from '../gpu-agent/onnx/runtime.ts';
import { writeModel } from '../gpu-agent/onnx/write-model.ts';
import { countGraphFlops } from '../gpu-agent/pipeline/graph-flops.ts';
import { loadStableDiffusionModel } from '../gpu-agent/pipeline/model-directory.ts';
import type { StableDiffusionModel } from '../gpu-agent/pipeline/model-directory.ts';
import { staticDim } from '../gpu-agent/pipeline/model-geometry.ts';
import { generate } from '../gpu-agent/pipeline/text-to-image.ts';
import { ensureTinyModel } from '../gpu-agent/tiny-model/index.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'tiny' },
    device: { type: 'string', default: 'cpu' },
    steps: { type: 'string', default: '20' },
    size: { type: 'string' },
    runs: { type: 'string', default: '5' },
    guidance: { type: 'string', default: '7.5' },
    'unet-gflops': { type: 'string' },
  },
});
const device = values.device as Device;
if (!['cpu', 'cuda', 'auto'].includes(device)) throw new Error(`--device must be cpu, cuda or auto (got ${values.device})`);
const steps = Number(values.steps);
const runs = Number(values.runs);
const guidanceScale = Number(values.guidance);
const size = values.size === undefined ? undefined : /^(\d+)x(\d+)$/.exec(values.size);
if (values.size !== undefined && (size === null || size === undefined)) throw new Error(`--size must be WxH (got ${values.size})`);
const logger = pino({ level: 'warn' });
const PROMPT = 'a small red star on a blue background';

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** FLOPs of one UNet call for this request, from the graph (undefined with the reason when it cannot be counted). */
async function unetFlops(model: StableDiffusionModel, width: number, height: number): Promise<{ flops?: number; note: string }> {
  if (values['unet-gflops'] !== undefined) return { flops: Number(values['unet-gflops']) * 1e9, note: 'given by --unet-gflops' };
  const { io, geometry } = model;
  const rows = guidanceScale > 1 ? 2 : 1;
  const config = JSON.parse(await readFile(join(model.directory, 'unet/config.json'), 'utf8').catch(() => '{}')) as { cross_attention_dim?: number };
  const hidden = staticDim(io.encoderHiddenStates.dims[2]) ?? staticDim(io.textHidden.dims[2]) ?? config.cross_attention_dim;
  if (hidden === undefined) return { note: 'unknown (no static text width); pass --unet-gflops' };
  const shapes: Record<string, number[]> = {
    [io.sample.name]: [staticDim(io.sample.dims[0]) ?? rows, geometry.latentChannels, height / geometry.latentScale, width / geometry.latentScale],
    [io.timestep.name]: io.timestep.dims.length === 0 ? [] : [staticDim(io.timestep.dims[0]) ?? rows],
    [io.encoderHiddenStates.name]: [staticDim(io.encoderHiddenStates.dims[0]) ?? rows, geometry.maxTokens, hidden],
  };
  try {
    const graph = (await readModel(join(model.directory, 'unet/model.onnx'))).graph;
    const counted = countGraphFlops(graph, shapes);
    return { flops: counted.total, note: `counted from the graph (MatMul/Gemm/Conv), batch ${shapes[io.sample.name]?.[0]}` };
  } catch (error) {
    return { note: `unknown (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); pass --unet-gflops` };
  }
}

/** Median milliseconds of `session.run(feeds)` over at least 5 runs and up to 2 s, after 3 warm-up runs. */
async function medianRunMs(session: OnnxSession, feeds: Record<string, HostTensor>): Promise<number> {
  for (let i = 0; i < 3; i++) await session.run(feeds);
  const times: number[] = [];
  const until = performance.now() + 2000;
  while (times.length < 5 || (performance.now() < until && times.length < 200)) {
    const start = performance.now();
    await session.run(feeds);
    times.push(performance.now() - start);
  }
  return percentile(times.sort((p, q) => p - q), 50);
}

/**
 * ONNX Runtime's float32 MatMul throughput on an n x n x n product (n a multiple of 64, about
 * `flops` FLOPs, capped at 4096), activations times constant weights as in the UNet; and the
 * per-call floor (an Identity on one value), which dominates small products.
 */
async function matmulBaseline(flops: number, dir: string): Promise<{ n: number; gflops: number; msPerRun: number; floorMs: number; provider: string }> {
  const n = Math.min(4096, Math.max(64, Math.round(Math.cbrt(flops / 2) / 64) * 64));
  const data = new Float32Array(n * n).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const matmul = new GraphBuilder('matmul_baseline');
  matmul.output(matmul.matMul(matmul.input('a', 'float32', [n, n]), matmul.initializer('w', 'float32', [n, n], data)), 'c');
  const identity = new GraphBuilder('call_floor');
  identity.output(identity.identity(identity.input('x', 'float32', [1])), 'y');
  await writeModel(join(dir, 'matmul.onnx'), matmul.model());
  await writeModel(join(dir, 'identity.onnx'), identity.model());
  const session = await createSession(join(dir, 'matmul.onnx'), { device, logger });
  const floor = await createSession(join(dir, 'identity.onnx'), { device, logger });
  try {
    const ms = await medianRunMs(session, { a: { dtype: 'float32', dims: [n, n], data } });
    const floorMs = await medianRunMs(floor, { x: { dtype: 'float32', dims: [1], data: Float32Array.of(1) } });
    return { n, gflops: (2 * n ** 3) / (ms / 1000) / 1e9, msPerRun: ms, floorMs, provider: session.provider };
  } finally {
    await session.release();
    await floor.release();
  }
}

const work = await mkdtemp(join(tmpdir(), 'teambooth-bench-imagine-'));
try {
  const directory = values.model === 'tiny' ? await ensureTinyModel(resolve('.teambooth', 'models'), { logger }) : resolve(values.model);
  const loadStart = performance.now();
  const model = await loadStableDiffusionModel(directory, { device, logger });
  const loadMs = performance.now() - loadStart;
  try {
    const width = size ? Number(size[1]) : (model.geometry.fixedSize?.width ?? model.geometry.nativeWidth);
    const height = size ? Number(size[2]) : (model.geometry.fixedSize?.height ?? model.geometry.nativeHeight);
    const request = { prompt: PROMPT, steps, guidanceScale, width, height };
    await generate(model, { ...request, seed: 0 }); // warm-up: first runs allocate and tune
    const stepMs: number[] = [];
    const start = performance.now();
    for (let i = 0; i < runs; i++) stepMs.push(...(await generate(model, { ...request, seed: i + 1 })).timings.stepMs);
    const totalS = (performance.now() - start) / 1000;
    stepMs.sort((p, q) => p - q);
    const p50 = percentile(stepMs, 50);
    const p99 = percentile(stepMs, 99);
    const unet = await unetFlops(model, width, height);

    console.log(`model ${model.name} (${directory}), provider ${model.provider}, ${width}x${height}, ${steps} steps, guidance ${guidanceScale} (UNet batch ${guidanceScale > 1 ? 2 : 1}), load ${loadMs.toFixed(0)} ms`);
    console.log(`UNet step latency: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms (${stepMs.length} steps)`);
    console.log(`end to end: ${(runs / totalS).toFixed(2)} images/s (${((totalS / runs) * 1000).toFixed(0)} ms per image, ${runs} images)`);
    if (unet.flops === undefined) {
      console.log(`UNet FLOPs per step: ${unet.note}; no ratio`);
    } else {
      const unetGflops = unet.flops / (p50 / 1000) / 1e9;
      const baseline = await matmulBaseline(unet.flops, work);
      console.log(`UNet FLOPs per step: ${(unet.flops / 1e9).toFixed(3)} GFLOP (${unet.note}) -> ${unetGflops.toFixed(2)} GFLOP/s at p50`);
      console.log(
        `baseline: ONNX Runtime MatMul ${baseline.n}x${baseline.n}x${baseline.n} float32 (${((2 * baseline.n ** 3) / 1e9).toFixed(3)} GFLOP) on ${baseline.provider}: ` +
          `${baseline.msPerRun.toFixed(2)} ms, ${baseline.gflops.toFixed(2)} GFLOP/s (per-call floor, an Identity on one value: ${baseline.floorMs.toFixed(3)} ms)`,
      );
      console.log(`ratio: UNet reaches ${(unetGflops / baseline.gflops).toFixed(3)}x of the raw MatMul throughput`);
    }
  } finally {
    await model.release();
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
