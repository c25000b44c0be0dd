import { readdir, readFile } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import { isFloat, tensorBytes } from '../../gpu-agent/onnx/dtype.ts';
import type { Initializer } from '../../gpu-agent/onnx/ir.ts';
import { createOnnxCodec, type ExternalLocation } from '../../gpu-agent/onnx/onnx-codec.ts';
import { readModel } from '../../gpu-agent/onnx/read-model.ts';
import { parseModelManifest, type ManifestTensor, type ModelManifest } from '../blob-store/model-manifest.ts';
import { buildLinearLayerIndex, serializeLinearLayerIndex } from './linear-layer-index.ts';
import { mapConcurrent } from './map-concurrent.ts';
import { ENTRY_PREFIX, INLINE_LOCATION, linearIndexEntryName, manifestDtype, weightEntryName } from './model-entry-names.ts';
import type { TensorSink } from './tensor-ports.ts';

/** Options of {@link importModelDirectory}. */
export interface ImportModelOptions {
  /** The version id the manifest will be written under (e.g. `v1`). */
  version: string;
  /** ISO 8601 UTC time of the import (injected: no clock here). */
  createdAt: string;
  /** Uploads in flight at once (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
}

/**
 * Stores a diffusers ONNX model directory (text_encoder/, unet/ with external data, vae_*,
 * tokenizer/, scheduler/, configs) as content-addressed entries and returns the manifest of an
 * imported base version (no parent, merge method `none`) for the caller to `writeManifest`. Each
 * float initializer becomes its own entry (see `model-entry-names.ts`), so later versions share
 * every tensor a merge leaves alone. External data files are not stored: their bytes are the
 * weights. Reads one ONNX file at a time.
 */
export async function importModelDirectory(dir: string, store: TensorSink, options: ImportModelOptions): Promise<ModelManifest> {
  const signal = options.signal;
  const call = signal === undefined ? {} : { signal };
  const concurrency = options.concurrency ?? 4;
  const tensors: Record<string, ManifestTensor> = {};
  const putBytes = async (name: string, bytes: Uint8Array): Promise<void> => {
    tensors[name] = { sha256: await store.putIfAbsent(bytes, call), shape: [bytes.byteLength], dtype: 'U8' };
  };
  const paths = await relativeFiles(dir);
  const dataFiles = new Set<string>();
  const components = new Set<string>();
  for (const path of paths.filter((p) => p.endsWith('.onnx'))) {
    signal?.throwIfAborted();
    const component = posix.dirname(path);
    if (component === '.' || components.has(component) || `${component}/` === ENTRY_PREFIX.file || `${component}/` === ENTRY_PREFIX.graph) {
      throw new Error(`${join(dir, path)}: each ONNX graph must sit alone in its component folder (text_encoder/model.onnx, unet/model.onnx, ...)`);
    }
    components.add(component);
    const bytes = await readFile(join(dir, path), call);
    const external = externalLocations(bytes, join(dir, path));
    for (const where of external.values()) dataFiles.add(posix.join(component, where.location));
    const model = await readModel(join(dir, path), call);
    const weights = model.graph.initializers.filter((init) => isFloat(init.dtype));
    await mapConcurrent(weights, concurrency, async (init) => {
      const name = weightEntryName(component, init.name);
      tensors[name] = { sha256: await store.putIfAbsent(tensorBytes(init.data), call), shape: [...init.dims], dtype: manifestDtype(init.dtype) };
    });
    // Weights keep the place they had (offsets in the external file); inline ones get a marker.
    const place = (init: Initializer): ExternalLocation | undefined =>
      isFloat(init.dtype) ? (external.get(init.name) ?? { location: INLINE_LOCATION, offset: 0, length: init.data.byteLength }) : undefined;
    await putBytes(`${ENTRY_PREFIX.graph}${path}`, createOnnxCodec().encode(model, place));
    await putBytes(linearIndexEntryName(path), serializeLinearLayerIndex(buildLinearLayerIndex(model.graph)));
  }
  const others = paths.filter((p) => !p.endsWith('.onnx') && !dataFiles.has(p));
  await mapConcurrent(others, concurrency, async (path) => putBytes(`${ENTRY_PREFIX.file}${path}`, await readFile(join(dir, path), call)));
  if (components.size === 0) throw new Error(`${dir} holds no ONNX graph; import a diffusers ONNX export (unet/model.onnx, ...)`);
  return parseModelManifest(
    { format: 1, version: options.version, parent: null, subjects: [], mergeMethod: 'none', createdAt: options.createdAt, tensors: sortedByName(tensors) },
    `the manifest imported from ${dir}`,
  );
}

/** Where each externally stored tensor of an ONNX file lives, by tensor name. */
function externalLocations(bytes: Uint8Array, path: string): Map<string, ExternalLocation> {
  const found = new Map<string, ExternalLocation>();
  try {
    createOnnxCodec().decode(bytes, (where, name) => {
      found.set(name, where);
      return new Uint8Array(where.length);
    });
  } catch (error) {
    throw new Error(`cannot read ONNX model "${path}": ${(error as Error).message}`, { cause: error });
  }
  return found;
}

/** Files under `dir` as sorted forward-slash relative paths. */
async function relativeFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

function sortedByName<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
