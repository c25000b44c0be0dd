import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { createSession, OnnxRuntimeError } from '../onnx/runtime.ts';
import type { Device, OnnxSession, Provider, TensorInfo } from '../onnx/runtime.ts';
import { parseSchedulerConfig } from '../schedulers/scheduler-config.ts';
import type { SchedulerConfig } from '../schedulers/scheduler-config.ts';
import { ClipTokenizer } from '../tokenizer/clip-tokenizer.ts';
import { floatTensor } from './host-tensors.ts';
import { deriveGeometry, staticDim, unetConfigSchema, vaeConfigSchema } from './model-geometry.ts';
import type { ModelGeometry, UnetConfig, VaeConfig } from './model-geometry.ts';

/**
 * A Stable Diffusion model in the diffusers/Optimum ONNX layout, loaded once and reused for every
 * generation: one ONNX session per component, the tokenizer, the scheduler config and the sizes.
 */
export interface StableDiffusionModel {
  /** Absolute path of the model directory. */
  readonly directory: string;
  /** `_name_or_path` of model_index.json, else the directory's name. */
  readonly name: string;
  /** The provider the UNet runs on (what did the work). */
  readonly provider: Provider;
  readonly geometry: ModelGeometry;
  readonly tokenizer: ClipTokenizer;
  readonly schedulerConfig: SchedulerConfig;
  readonly textEncoder: OnnxSession;
  readonly unet: OnnxSession;
  readonly vaeDecoder: OnnxSession;
  /** Input names of each session that the pipeline feeds, found by name in the session metadata. */
  readonly io: ModelIo;
  /** Frees every session; the model must not be used afterwards. */
  release(): Promise<void>;
}

/** The session inputs and outputs the pipeline uses. */
export interface ModelIo {
  inputIds: TensorInfo;
  textHidden: TensorInfo;
  sample: TensorInfo;
  timestep: TensorInfo;
  encoderHiddenStates: TensorInfo;
  unetOut: TensorInfo;
  latentSample: TensorInfo;
  decodedImage: TensorInfo;
}

/** Options of {@link loadStableDiffusionModel}. */
export interface LoadModelOptions {
  device: Device;
  logger: Logger;
  intraOpThreads?: number;
  signal?: AbortSignal;
}

/** A model directory that is incomplete or whose files cannot be read; the message names the file. */
export class ModelDirectoryError extends Error {
  override readonly name = 'ModelDirectoryError';
}

/** Files every text-to-image model needs, relative to the model directory. */
const REQUIRED_FILES = [
  'model_index.json',
  'text_encoder/model.onnx',
  'unet/model.onnx',
  'vae_decoder/model.onnx',
  'tokenizer/vocab.json',
  'tokenizer/merges.txt',
  'scheduler/scheduler_config.json',
] as const;

/**
 * Loads and validates a model directory: checks that every component file is there (naming all
 * missing ones at once), parses the JSON configs, loads the tokenizer, creates the three ONNX
 * sessions on `options.device`, checks their inputs and derives the model's sizes from their
 * metadata and the configs. Releases what it created when a later step fails.
 */
export async function loadStableDiffusionModel(directory: string, options: LoadModelOptions): Promise<StableDiffusionModel> {
  const dir = resolve(directory);
  const logger = options.logger.child({ component: 'model', model: dir });
  const signal = options.signal;
  await checkFiles(dir);
  const index = await readJson(dir, 'model_index.json', z.looseObject({ _name_or_path: z.string().optional() }), signal);
  const unetConfig: UnetConfig = (await readOptionalJson(dir, 'unet/config.json', unetConfigSchema, signal)) ?? {};
  const vaeConfig: VaeConfig = (await readOptionalJson(dir, 'vae_decoder/config.json', vaeConfigSchema, signal)) ?? {};
  const schedulerJson = await readJson(dir, 'scheduler/scheduler_config.json', z.unknown(), signal);
  let schedulerConfig: SchedulerConfig;
  try {
    schedulerConfig = parseSchedulerConfig(schedulerJson, join(dir, 'scheduler/scheduler_config.json'));
  } catch (error) {
    throw new ModelDirectoryError(messageOf(error), { cause: error });
  }
  let tokenizer: ClipTokenizer;
  try {
    tokenizer = await ClipTokenizer.load(join(dir, 'tokenizer'), signal === undefined ? {} : { signal });
  } catch (error) {
    throw new ModelDirectoryError(`tokenizer of model ${dir}: ${messageOf(error)}`, { cause: error });
  }

  const sessions: OnnxSession[] = [];
  const open = async (component: string): Promise<OnnxSession> => {
    signal?.throwIfAborted();
    const file = join(dir, component, 'model.onnx');
    try {
      const session = await createSession(file, {
        device: options.device,
        logger,
        ...(options.intraOpThreads === undefined ? {} : { intraOpThreads: options.intraOpThreads }),
      });
      sessions.push(session);
      return session;
    } catch (error) {
      // A missing CUDA provider is about the machine, not the model: its message says how to install it.
      if (error instanceof OnnxRuntimeError && error.code === 'cuda-unavailable') throw error;
      throw new ModelDirectoryError(`${component}/model.onnx of model ${dir} cannot be loaded: ${messageOf(error)}`, { cause: error });
    }
  };
  try {
    const textEncoder = await open('text_encoder');
    const unet = await open('unet');
    const vaeDecoder = await open('vae_decoder');
    const io = findIo(textEncoder, unet, vaeDecoder);
    const measuredVaeScale =
      vaeConfig.block_out_channels === undefined ? await measureVaeScale(vaeDecoder, io, unetConfig, signal) : undefined;
    const geometry = deriveGeometry({
      unetSample: io.sample,
      vaeLatent: io.latentSample,
      vaeImage: io.decodedImage,
      textInputIds: io.inputIds,
      unetConfig,
      vaeConfig,
      tokenizerMaxLength: tokenizer.maxLength,
      ...(measuredVaeScale === undefined ? {} : { measuredVaeScale }),
    });
    const providers = new Set(sessions.map((session) => session.provider));
    if (providers.size > 1) logger.warn({ providers: [...providers] }, 'the components of the model run on different execution providers');
    logger.debug({ geometry }, 'model loaded');
    return {
      directory: dir,
      name: index._name_or_path ?? basename(dir),
      provider: unet.provider,
      geometry,
      tokenizer,
      schedulerConfig,
      textEncoder,
      unet,
      vaeDecoder,
      io,
      async release() {
        await Promise.all(sessions.map((session) => session.release()));
      },
    };
  } catch (error) {
    await Promise.allSettled(sessions.map((session) => session.release()));
    throw error;
  }
}

async function checkFiles(dir: string): Promise<void> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new ModelDirectoryError(`model directory ${dir} does not exist or is not a directory`);
  }
  const missing: string[] = [];
  for (const file of REQUIRED_FILES) {
    const info = await stat(join(dir, file)).catch(() => undefined);
    if (info === undefined || !info.isFile() || info.size === 0) missing.push(file);
  }
  if (missing.length > 0) {
    throw new ModelDirectoryError(
      `model directory ${dir} lacks ${missing.join(', ')} (or they are empty); a model must be a diffusers ONNX export ` +
        '(model_index.json, text_encoder/, unet/, vae_decoder/, tokenizer/, scheduler/)',
    );
  }
}

async function readJson<T>(dir: string, file: string, schema: z.ZodType<T>, signal: AbortSignal | undefined): Promise<T> {
  const path = join(dir, file);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, { encoding: 'utf8', ...(signal === undefined ? {} : { signal }) }));
  } catch (error) {
    throw new ModelDirectoryError(`${path} is not valid JSON: ${messageOf(error)}`, { cause: error });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelDirectoryError(`${path}: ${issue === undefined ? 'invalid' : `${issue.path.join('.') || 'the file'} ${issue.message}`}`);
  }
  return parsed.data;
}

async function readOptionalJson<T>(dir: string, file: string, schema: z.ZodType<T>, signal: AbortSignal | undefined): Promise<T | undefined> {
  const exists = await stat(join(dir, file)).then(
    (info) => info.isFile(),
    () => false,
  );
  return exists ? readJson(dir, file, schema, signal) : undefined;
}

function findIo(textEncoder: OnnxSession, unet: OnnxSession, vaeDecoder: OnnxSession): ModelIo {
  const input = (session: OnnxSession, component: string, name: string): TensorInfo => {
    const found = session.inputs.find((info) => info.name === name);
    if (found === undefined) {
      throw new ModelDirectoryError(`${component}/model.onnx has no input "${name}" (its inputs: ${session.inputs.map((i) => i.name).join(', ')})`);
    }
    return found;
  };
  const output = (session: OnnxSession, component: string, preferred: string): TensorInfo => {
    const found = session.outputs.find((info) => info.name === preferred) ?? session.outputs[0];
    if (found === undefined) throw new ModelDirectoryError(`${component}/model.onnx has no outputs`);
    return found;
  };
  const known = { text_encoder: ['input_ids'], unet: ['sample', 'timestep', 'encoder_hidden_states'], vae_decoder: ['latent_sample'] };
  for (const [component, session] of [['text_encoder', textEncoder], ['unet', unet], ['vae_decoder', vaeDecoder]] as const) {
    const extra = session.inputs.filter((info) => !known[component].includes(info.name));
    if (extra.length > 0) {
      throw new ModelDirectoryError(
        `${component}/model.onnx takes inputs this pipeline does not feed (${extra.map((i) => i.name).join(', ')}); ` +
          'only Stable Diffusion 1.x/2.x style models are supported',
      );
    }
  }
  return {
    inputIds: input(textEncoder, 'text_encoder', 'input_ids'),
    textHidden: output(textEncoder, 'text_encoder', 'last_hidden_state'),
    sample: input(unet, 'unet', 'sample'),
    timestep: input(unet, 'unet', 'timestep'),
    encoderHiddenStates: input(unet, 'unet', 'encoder_hidden_states'),
    unetOut: output(unet, 'unet', 'out_sample'),
    latentSample: input(vaeDecoder, 'vae_decoder', 'latent_sample'),
    decodedImage: output(vaeDecoder, 'vae_decoder', 'sample'),
  };
}

/** Runs the decoder once on a small zero latent to measure its upsampling, for configs that do not state it. */
async function measureVaeScale(vaeDecoder: OnnxSession, io: ModelIo, unetConfig: UnetConfig, signal: AbortSignal | undefined): Promise<number> {
  const dims = io.latentSample.dims;
  const channels = staticDim(dims[1]) ?? unetConfig.in_channels;
  if (channels === undefined) throw new ModelDirectoryError('vae_decoder: cannot tell the latent channels to measure its scale (no config.json)');
  const h = staticDim(dims[2]) ?? 8;
  const w = staticDim(dims[3]) ?? 8;
  const shape = [1, channels, h, w];
  const feed = floatTensor(new Float32Array(channels * h * w), shape, io.latentSample.dtype);
  const out = await vaeDecoder.run({ [io.latentSample.name]: feed }, signal === undefined ? {} : { signal });
  const image = out[io.decodedImage.name];
  const height = image?.dims[2];
  if (height === undefined || height % h !== 0) throw new ModelDirectoryError('vae_decoder: its output is not a whole multiple of its input size');
  return height / h;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
