import { join } from 'node:path';
import type { Logger } from 'pino';
import type { JobSpec } from '../../cluster/jobs/job-params.ts';
import type { Device } from '../onnx/runtime.ts';
import { loadStableDiffusionModel, type StableDiffusionModel } from '../pipeline/model-directory.ts';
import { ensureTinyModel } from '../tiny-model/ensure-tiny-model.ts';
import { hashUnetFiles } from '../training/hash-unet-files.ts';

/**
 * Keeps the agent's models loaded between jobs: loading a model costs seconds (and a real Stable
 * Diffusion model far more), so each model version is loaded once, on first use, and shared by
 * every job that runs on it until the agent shuts down.
 */

/** The built-in tiny model's version name. */
export const TINY_MODEL_VERSION = 'tiny';

/** Where a model version's files are: a folder in the diffusers ONNX layout, fetched or built on demand. */
export type ModelSource = (version: string, signal: AbortSignal) => Promise<string>;

/** A loaded model version. */
export interface LoadedModel {
  readonly model: StableDiffusionModel;
  /** sha256 of the UNet files, the base model a LoRA records; hashed on first use. */
  baseModelSha256(signal: AbortSignal): Promise<string>;
}

/** Options of {@link ModelHost}. */
export interface ModelHostOptions {
  source: ModelSource;
  device: Device;
  logger: Logger;
}

/**
 * The model version a job runs on. Every job runs on the built-in tiny model until jobs name a
 * version of the shared model; this is the one place that choice will be made.
 */
export function modelVersionFor(_spec: JobSpec): string {
  return TINY_MODEL_VERSION;
}

/** The models as the agent ships today: the built-in tiny model, built once under `cacheDir/models`. */
export function builtInModelSource(cacheDir: string, logger: Logger): ModelSource {
  return async (version, signal) => {
    if (version !== TINY_MODEL_VERSION) throw new Error(`model version "${version}" is not available to this agent (only "${TINY_MODEL_VERSION}" is)`);
    return ensureTinyModel(join(cacheDir, 'models'), { logger, signal });
  };
}

/** The loaded models of one agent, by version; concurrent requests for one version share its load. */
export class ModelHost {
  readonly #options: ModelHostOptions;
  readonly #loads = new Map<string, Promise<LoadedModel>>();
  #released = false;

  constructor(options: ModelHostOptions) {
    this.#options = options;
  }

  /** The model `version`, loaded on the first call. A failed load is retried by the next call. */
  get(version: string, signal: AbortSignal): Promise<LoadedModel> {
    if (this.#released) return Promise.reject(new Error('the agent has released its models'));
    let load = this.#loads.get(version);
    if (load === undefined) {
      load = this.#load(version, signal);
      this.#loads.set(version, load);
      load.catch(() => this.#loads.delete(version));
    }
    return load;
  }

  /** Frees every loaded model; later calls of {@link get} fail. */
  async release(): Promise<void> {
    this.#released = true;
    const loads = [...this.#loads.values()];
    this.#loads.clear();
    const settled = await Promise.allSettled(loads);
    await Promise.all(settled.map((result) => (result.status === 'fulfilled' ? result.value.model.release() : undefined)));
  }

  async #load(version: string, signal: AbortSignal): Promise<LoadedModel> {
    const { logger, device } = this.#options;
    const started = performance.now();
    const directory = await this.#options.source(version, signal);
    const model = await loadStableDiffusionModel(directory, { device, logger, signal });
    logger.info({ version, model: model.name, provider: model.provider, ms: Math.round(performance.now() - started) }, 'model loaded');
    let hash: Promise<string> | undefined;
    return {
      model,
      baseModelSha256: (hashSignal) => {
        hash ??= hashUnetFiles(model.directory, { signal: hashSignal });
        hash.catch(() => (hash = undefined));
        return hash;
      },
    };
  }
}
