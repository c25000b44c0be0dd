import { copyFile, link, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { readModel } from '../onnx/read-model.ts';
import { writeModel } from '../onnx/write-model.ts';
import { KOHYA_UNET_PREFIX } from './find-lora-targets.ts';
import type { LoraWeights } from './lora-weights.ts';
import { mergeLoraIntoWeights } from './merge-lora.ts';

/** Options of {@link writeLoraMergedModel}. */
export interface WriteMergedModelOptions {
  /** Strength of the LoRA (default 1). */
  multiplier?: number;
  signal?: AbortSignal;
}

/** What {@link writeLoraMergedModel} did. */
export interface MergedModel {
  readonly directory: string;
  /** Layers merged into the UNet. */
  readonly mergedLayers: number;
  /** Keys of layers left out because they adapt something other than the UNet (kohya `lora_te_*`). */
  readonly skippedLayers: readonly string[];
}

/**
 * Writes a copy of a diffusers ONNX model directory with a LoRA merged into its UNet weights
 * (see `mergeLoraIntoWeights`), ready for the text-to-image pipeline: `unet/model.onnx` is
 * rewritten (weights in `model.onnx_data`), every other file is hard-linked (copied when links are
 * not possible). Layers for other components (kohya `lora_te_*` text-encoder layers) are skipped
 * and reported. The directory appears complete or not at all: it is built under a temporary name
 * and renamed into place, replacing nothing (an existing `target` is an error).
 */
export async function writeLoraMergedModel(source: string, lora: LoraWeights, target: string, options: WriteMergedModelOptions = {}): Promise<MergedModel> {
  const from = resolve(source);
  const to = resolve(target);
  if (await exists(to)) throw new Error(`${to} already exists; choose a new folder for the merged model`);
  const unetLayers = lora.layers.filter((layer) => layer.key.startsWith(`${KOHYA_UNET_PREFIX}_`));
  const skippedLayers = lora.layers.filter((layer) => !layer.key.startsWith(`${KOHYA_UNET_PREFIX}_`)).map((layer) => layer.key);
  if (unetLayers.length === 0) throw new Error(`the LoRA has no UNet layers (keys starting with ${KOHYA_UNET_PREFIX}_); it holds ${lora.layers.length} other layers`);
  const signal = options.signal;
  const unet = await readModel(join(from, 'unet', 'model.onnx'), signal === undefined ? {} : { signal });
  const graph = mergeLoraIntoWeights(unet.graph, { layers: unetLayers }, { multiplier: options.multiplier ?? 1 });
  await mkdir(dirname(to), { recursive: true });
  const temporary = await mkdtemp(join(dirname(to), '.merging-'));
  try {
    for (const file of await filesUnder(from)) {
      signal?.throwIfAborted();
      const path = relative(from, file);
      // The UNet is rewritten whole; of its folder only the configs are kept.
      if (path.startsWith(`unet${sep}`) && !path.endsWith('.json')) continue;
      const destination = join(temporary, path);
      await mkdir(dirname(destination), { recursive: true });
      await link(file, destination).catch(() => copyFile(file, destination));
    }
    await mkdir(join(temporary, 'unet'), { recursive: true });
    await writeModel(join(temporary, 'unet', 'model.onnx'), { ...unet, graph }, { externalData: { location: 'model.onnx_data' }, ...(signal === undefined ? {} : { signal }) });
    await rename(temporary, to);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
  return { directory: to, mergedLayers: unetLayers.length, skippedLayers };
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
