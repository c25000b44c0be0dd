import { randomBytes } from 'node:crypto';
import type { RgbImage } from '../image/rgb-image.ts';
import type { HostTensor, Provider, TensorInfo } from '../onnx/runtime.ts';
import { createScheduler } from '../schedulers/create-scheduler.ts';
import type { ClipEncoding } from '../tokenizer/clip-tokenizer.ts';
import type { SchedulerKind } from '../schedulers/scheduler.ts';
import { fixedBatchOf, runBatched } from './batched-run.ts';
import { decodeLatents } from './decode-latents.ts';
import { gaussianNoise } from './gaussian-noise.ts';
import { validateRequest } from './generation-request.ts';
import type { GenerationRequest } from './generation-request.ts';
import { concatFloat32, floatTensor, integerTensor, toFloat32 } from './host-tensors.ts';
import type { StableDiffusionModel } from './model-directory.ts';
import { staticDim } from './model-geometry.ts';

/** Progress after each denoising step. */
export interface GenerationProgress {
  /** Steps done, 1..steps. */
  step: number;
  steps: number;
}

/** Options of {@link generate}. */
export interface GenerateOptions {
  /** Checked between steps (and before and after every model run); aborting rejects with the signal's reason (an AbortError). */
  signal?: AbortSignal;
  onProgress?: (progress: GenerationProgress) => void;
  /** Milliseconds for the timings (default `performance.now`). */
  now?: () => number;
  /** The seed used when the request has none (default: 4 bytes from `crypto.randomBytes`). */
  randomSeed?: () => number;
}

/** How a prompt was tokenized. */
export interface PromptTokens {
  /** Content tokens of the whole prompt. */
  tokenCount: number;
  /** Tokens the model reads at most (bos and eos not counted). */
  maxTokens: number;
  truncated: boolean;
  /** What the model never saw, when truncated. */
  droppedText?: string;
}

/** One generated image and the seed that made it. */
export interface GeneratedImage extends RgbImage {
  seed: number;
}

/** What {@link generate} returns. */
export interface GenerationResult {
  images: GeneratedImage[];
  /** Seed of the first image; image i was made from `seeds[i] = (seed + i) mod 2^32`. */
  seed: number;
  seeds: number[];
  provider: Provider;
  model: string;
  prompt: string;
  negativePrompt: string;
  scheduler: SchedulerKind;
  steps: number;
  guidanceScale: number;
  width: number;
  height: number;
  tokens: { prompt: PromptTokens; negativePrompt: PromptTokens };
  timings: { textEncodeMs: number; denoiseMs: number; decodeMs: number; totalMs: number; stepMs: number[] };
  /** Things the caller should tell the user (a truncated prompt, an ignored negative prompt). */
  warnings: string[];
}

/**
 * Text to image with Stable Diffusion: tokenizes and encodes the prompt and the negative prompt
 * (empty when none), draws each image's initial latents from its own seed, denoises with the
 * scheduler and classifier-free guidance (the UNet sees `[negative x count, prompt x count]`, or
 * only the prompt when the guidance scale is 1), and decodes with the VAE. Every tensor's element
 * type and shape follow the session metadata. Same model, request and seed give the same pixels.
 * @throws GenerationRequestError for a request the model cannot serve.
 */
export async function generate(model: StableDiffusionModel, request: GenerationRequest, options: GenerateOptions = {}): Promise<GenerationResult> {
  const now = options.now ?? (() => performance.now());
  const signal = options.signal;
  const started = now();
  const valid = validateRequest(request, model.geometry);
  const scheduler = createScheduler(valid.scheduler, model.schedulerConfig);
  const seed = valid.seed ?? (options.randomSeed ?? (() => randomBytes(4).readUInt32BE(0)))();
  const { count, width, height } = valid;
  const seeds = Array.from({ length: count }, (_, i) => (seed + i) >>> 0);
  const guided = valid.guidanceScale > 1;
  const { io, geometry } = model;
  signal?.throwIfAborted();

  const prompt = await encodeText(model, valid.prompt, signal);
  const negative = guided ? await encodeText(model, valid.negativePrompt, signal) : undefined;
  const textEncoded = now();

  const latentHeight = height / geometry.latentScale;
  const latentWidth = width / geometry.latentScale;
  const rowDims = [geometry.latentChannels, latentHeight, latentWidth];
  const rowSize = geometry.latentChannels * latentHeight * latentWidth;
  let latents: Float32Array = new Float32Array(count * rowSize);
  seeds.forEach((imageSeed, i) => {
    const noise = gaussianNoise(imageSeed, rowSize);
    for (let j = 0; j < rowSize; j++) latents[i * rowSize + j] = (noise[j] ?? 0) * scheduler.initNoiseSigma;
  });

  const rows = guided ? 2 * count : count;
  const hidden = repeatRows(negative === undefined ? [prompt.hidden] : [negative.hidden, prompt.hidden], count);
  const hiddenRowDims = prompt.dims.slice(1);
  const timesteps = scheduler.setTimesteps(valid.steps);
  const stepMs: number[] = [];
  for (let i = 0; i < timesteps.length; i++) {
    signal?.throwIfAborted();
    const stepStart = now();
    const scaled = scheduler.scaleModelInput(latents, i);
    const input = guided ? concatFloat32([scaled, scaled]) : scaled;
    const timestep = timesteps[i] ?? 0;
    const noise = await runBatched(
      model.unet,
      rows,
      {
        [io.sample.name]: { data: input, rowDims, fixedBatch: fixedBatchOf(io.sample.dims), toTensor: (data, dims) => floatTensor(data, dims, io.sample.dtype) },
        [io.encoderHiddenStates.name]: {
          data: hidden,
          rowDims: hiddenRowDims,
          fixedBatch: fixedBatchOf(io.encoderHiddenStates.dims),
          toTensor: (data, dims) => floatTensor(data, dims, io.encoderHiddenStates.dtype),
        },
      },
      (batch) => ({ [io.timestep.name]: timestepTensor(io.timestep, timestep, batch) }),
      { name: io.unetOut.name, toFloat32 },
      signal,
    );
    if (noise.length !== input.length) throw new Error(`unet returned ${noise.length} values for a ${input.length}-value sample`);
    latents = scheduler.step(guided ? applyGuidance(noise, valid.guidanceScale) : noise, i, latents);
    stepMs.push(now() - stepStart);
    options.onProgress?.({ step: i + 1, steps: timesteps.length });
  }
  const denoised = now();

  const decoded = await decodeLatents(model, latents, count, { width, height, latentHeight, latentWidth }, signal);
  const finished = now();

  const warnings: string[] = [];
  if (prompt.tokens.truncated) {
    warnings.push(`the prompt has ${prompt.tokens.tokenCount} tokens but the model reads ${prompt.tokens.maxTokens}; it never saw: "${prompt.tokens.droppedText ?? ''}"`);
  }
  if (negative?.tokens.truncated === true) {
    warnings.push(`the negative prompt has ${negative.tokens.tokenCount} tokens but the model reads ${negative.tokens.maxTokens}; it never saw: "${negative.tokens.droppedText ?? ''}"`);
  }
  if (!guided && valid.negativePrompt !== '') warnings.push('the negative prompt has no effect with guidance scale 1 (no guidance); raise the guidance scale to use it');
  return {
    images: decoded.map((image, i) => ({ ...image, seed: seeds[i] ?? seed })),
    seed,
    seeds,
    provider: model.provider,
    model: model.name,
    prompt: valid.prompt,
    negativePrompt: valid.negativePrompt,
    scheduler: scheduler.kind,
    steps: timesteps.length,
    guidanceScale: valid.guidanceScale,
    width,
    height,
    tokens: { prompt: prompt.tokens, negativePrompt: negative?.tokens ?? tokensOf(model.tokenizer.encode(valid.negativePrompt)) },
    timings: { textEncodeMs: textEncoded - started, denoiseMs: denoised - textEncoded, decodeMs: finished - denoised, totalMs: finished - started, stepMs },
    warnings,
  };
}

interface EncodedText {
  /** `[seq, hidden]` values of one prompt. */
  hidden: Float32Array;
  /** `[1, seq, hidden]`. */
  dims: number[];
  tokens: PromptTokens;
}

function tokensOf(encoding: ClipEncoding): PromptTokens {
  return {
    tokenCount: encoding.tokenCount,
    maxTokens: encoding.ids.length - 2,
    truncated: encoding.truncated,
    ...(encoding.droppedText === undefined ? {} : { droppedText: encoding.droppedText }),
  };
}

/** Runs the text encoder on one prompt (batch 1, or the export's static batch with the ids repeated). */
async function encodeText(model: StableDiffusionModel, text: string, signal: AbortSignal | undefined): Promise<EncodedText> {
  const { io } = model;
  const encoding = model.tokenizer.encode(text);
  const batch = staticDim(io.inputIds.dims[0]) ?? 1;
  const ids = Array.from({ length: batch }, () => encoding.ids).flat();
  const feed = integerTensor(ids, [batch, encoding.ids.length], io.inputIds.dtype);
  const out = await model.textEncoder.run({ [io.inputIds.name]: feed }, signal === undefined ? {} : { signal });
  const tensor = out[io.textHidden.name];
  if (tensor === undefined || tensor.dims.length !== 3) {
    throw new Error(`text_encoder output "${io.textHidden.name}" must be [batch, tokens, hidden] (got ${tensor === undefined ? 'nothing' : `[${tensor.dims.join(', ')}]`})`);
  }
  const rowSize = (tensor.dims[1] ?? 0) * (tensor.dims[2] ?? 0);
  return {
    hidden: toFloat32(tensor).slice(0, rowSize),
    dims: [1, tensor.dims[1] ?? 0, tensor.dims[2] ?? 0],
    tokens: tokensOf(encoding),
  };
}

/** The timestep as the UNet wants it: its dtype (integers rounded), shape `[batch]`, `[n]` or scalar. */
function timestepTensor(info: TensorInfo, timestep: number, batch: number): HostTensor {
  const integer = info.dtype === 'int32' || info.dtype === 'int64';
  const value = integer ? Math.round(timestep) : timestep;
  const dims = info.dims.length === 0 ? [] : [staticDim(info.dims[0]) ?? batch];
  const length = dims.length === 0 ? 1 : (dims[0] ?? 1);
  return floatTensor(new Float32Array(length).fill(value), dims, info.dtype);
}

/** `uncond + scale * (cond - uncond)` over a `[uncond rows, cond rows]` output. */
function applyGuidance(noise: Float32Array, scale: number): Float32Array {
  const half = noise.length / 2;
  const out = new Float32Array(half);
  for (let j = 0; j < half; j++) {
    const uncond = noise[j] ?? 0;
    out[j] = uncond + scale * ((noise[half + j] ?? 0) - uncond);
  }
  return out;
}

/** Each block repeated `times` times in turn: `[a, a, b, b]` for `[a, b]` and 2. */
function repeatRows(blocks: readonly Float32Array[], times: number): Float32Array {
  return concatFloat32(blocks.flatMap((block) => Array.from({ length: times }, () => block)));
}
