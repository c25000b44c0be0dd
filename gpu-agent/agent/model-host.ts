import { join } from 'node:path';
import type { Logger } from 'pino';
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
  /** Versions kept loaded when no job uses them (default 2): each merge makes a new version, and old ones must not pile up. */
  keepLoaded?: number;
}

/** The model version a job runs on: the version the cluster gave it, or the built-in model for jobs from before the cluster had one. */
export function modelVersionOf(job: { modelVersion: string | null }): string {
  return job.modelVersion ?? TINY_MODEL_VERSION;
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
  /** Loads by version, least recently used first. */
  readonly #loads = new Map<string, Promise<LoadedModel>>();
  readonly #inUse = new Map<string, number>();
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
      load.catch(() => this.#loads.delete(version));
    }
    this.#loads.delete(version);
    this.#loads.set(version, load);
    return load;
  }

  /**
   * Runs `work` on the model `version`, which stays loaded meanwhile. Afterwards, versions beyond
   * the `keepLoaded` most recently used that no job is using are released.
   */
  async use<T>(version: string, signal: AbortSignal, work: (loaded: LoadedModel) => Promise<T>): Promise<T> {
    this.#inUse.set(version, (this.#inUse.get(version) ?? 0) + 1);
    try {
      return await work(await this.get(version, signal));
    } finally {
      const left = (this.#inUse.get(version) ?? 1) - 1;
      if (left > 0) this.#inUse.set(version, left);
      else this.#inUse.delete(version);
      await this.#releaseUnused();
    }
  }

  async #releaseUnused(): Promise<void> {
    const keep = this.#options.keepLoaded ?? 2;
    const versions = [...this.#loads.keys()];
    for (const version of versions.slice(0, Math.max(0, versions.length - keep))) {
      if (this.#inUse.has(version)) continue;
      const load = this.#loads.get(version)!;
      this.#loads.delete(version);
      const loaded = await load.catch(() => undefined);
      await loaded?.model.release();
      this.#options.logger.info({ version }, 'model version released');
    }
  }

  /** How many model versions are loaded or loading now. */
  loadedCount(): number {
    return this.#loads.size;
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
