import { mkdir, mkdtemp, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, posix, resolve } from 'node:path';
import type { Initializer } from '../../gpu-agent/onnx/ir.ts';
import { createOnnxCodec, type ExternalLocation } from '../../gpu-agent/onnx/onnx-codec.ts';
import type { ModelManifest } from '../blob-store/model-manifest.ts';
import { mapConcurrent } from './map-concurrent.ts';
import { checkRelativePath, ENTRY_PREFIX, INLINE_LOCATION, weightEntryName } from './model-entry-names.ts';
import type { FetchTensor } from './tensor-ports.ts';

/** Options of {@link materializeModel}. */
export interface MaterializeModelOptions {
  /** Fetches in flight at once (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
}

/**
 * Writes the model directory a manifest describes (as `importModelDirectory` stored it), for an
 * agent to load with `loadStableDiffusionModel`: files byte for byte, and each ONNX graph rebuilt
 * from its skeleton and weights, with every weight back where the original file had it (inline, or
 * at the same offset of the same external data file). Bytes come from `fetchTensor`, which must
 * verify them (a `TensorCache`, or `ContentStore.getVerified`). Holds one component's weights in
 * memory at a time. The directory appears complete or not at all (built under a temporary name,
 * then renamed); an existing `target` is an error.
 */
export async function materializeModel(manifest: ModelManifest, fetchTensor: FetchTensor, target: string, options: MaterializeModelOptions = {}): Promise<string> {
  const to = resolve(target);
  const signal = options.signal;
  const concurrency = options.concurrency ?? 4;
  if (await exists(to)) throw new Error(`${to} already exists; choose a new folder for model version ${manifest.version}`);
  // Every path is checked before anything is fetched or written.
  const entries = (prefix: string, suffix = ''): { name: string; path: string }[] =>
    Object.keys(manifest.tensors)
      .filter((name) => name.startsWith(prefix) && name.endsWith(suffix))
      .map((name) => ({ name, path: checkRelativePath(name.slice(prefix.length), name) }));
  const files = entries(ENTRY_PREFIX.file);
  const graphs = entries(ENTRY_PREFIX.graph, '.onnx');
  await mkdir(dirname(to), { recursive: true });
  const temporary = await mkdtemp(join(dirname(to), '.materializing-'));
  const fetch = (name: string): Promise<Uint8Array> => fetchTensor(manifest.tensors[name]!.sha256, signal);
  const write = async (path: string, bytes: Uint8Array): Promise<void> => {
    await mkdir(dirname(join(temporary, path)), { recursive: true });
    await writeFile(join(temporary, path), bytes, signal === undefined ? {} : { signal });
  };
  try {
    await mapConcurrent(files, concurrency, async ({ name, path }) => write(path, await fetch(name)));
    for (const { name, path } of graphs) {
      signal?.throwIfAborted();
      await writeGraph(temporary, path, await fetch(name), manifest, fetch, concurrency);
    }
    await rename(temporary, to);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
  return to;
}

/** Rebuilds one ONNX file (and its external data files) from its skeleton and weight entries. */
async function writeGraph(root: string, path: string, skeleton: Uint8Array, manifest: ModelManifest, fetch: (name: string) => Promise<Uint8Array>, concurrency: number): Promise<void> {
  const component = posix.dirname(path);
  const prefix = weightEntryName(component, '');
  const weightNames = Object.keys(manifest.tensors).filter((name) => name.startsWith(prefix));
  const weights = new Map<string, Uint8Array>();
  await mapConcurrent(weightNames, concurrency, async (name) => void weights.set(name, await fetch(name)));
  const placed = new Map<string, ExternalLocation>();
  const model = createOnnxCodec().decode(skeleton, (where, name) => {
    const bytes = weights.get(weightEntryName(component, name));
    if (bytes === undefined) throw new Error(`graph ${path} needs weight ${name}, but the manifest has no entry ${weightEntryName(component, name)}`);
    if (where.location !== INLINE_LOCATION) placed.set(name, { ...where, location: checkRelativePath(where.location, `${ENTRY_PREFIX.graph}${path}`) });
    return bytes;
  });
  const place = (init: Initializer): ExternalLocation | undefined => placed.get(init.name);
  await mkdir(join(root, component), { recursive: true });
  await writeFile(join(root, path), createOnnxCodec().encode(model, place));
  const byFile = new Map<string, { name: string; where: ExternalLocation }[]>();
  for (const [name, where] of placed) byFile.set(where.location, [...(byFile.get(where.location) ?? []), { name, where }]);
  for (const [location, chunks] of byFile) {
    const file = await open(join(root, component, location), 'w');
    try {
      for (const { name, where } of chunks) {
        const bytes = weights.get(weightEntryName(component, name))!;
        await file.write(bytes, 0, bytes.byteLength, where.offset);
      }
      await file.truncate(Math.max(...chunks.map((c) => c.where.offset + c.where.length)));
    } finally {
      await file.close();
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
