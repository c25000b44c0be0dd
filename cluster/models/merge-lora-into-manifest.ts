import { kohyaKey } from '../../gpu-agent/lora/find-lora-targets.ts';
import type { LinearLayer } from '../../gpu-agent/lora/find-linear-layers.ts';
import { parseLoraFile } from '../../gpu-agent/lora/lora-file.ts';
import type { LoraLayer } from '../../gpu-agent/lora/lora-weights.ts';
import { matchLayer } from '../../gpu-agent/lora/match-lora-layer.ts';
import type { OnnxGraph } from '../../gpu-agent/onnx/ir.ts';
import { parseModelManifest, type ManifestTensor, type ModelManifest } from '../blob-store/model-manifest.ts';
import { parseLinearLayerIndex, type IndexedLinearLayer } from './linear-layer-index.ts';
import type { LoraDeltaWorker } from './lora-delta-worker.ts';
import { mapConcurrent } from './map-concurrent.ts';
import { linearIndexEntryOf, weightEntryName } from './model-entry-names.ts';
import { assertTensorHash } from './tensor-hash.ts';
import type { FetchTensor, TensorSink } from './tensor-ports.ts';

/** Which component a kohya key prefix adapts. */
const COMPONENT_OF_PREFIX: Readonly<Record<string, string>> = { lora_unet: 'unet', lora_te: 'text_encoder' };

/** What {@link mergeLoraIntoManifest} needs besides the base and the LoRA. */
export interface MergeLoraIntoManifestOptions {
  /** Strength: `W' = W + scale * (alpha / rank) * up down`. */
  scale: number;
  /** Metadata of the new version. */
  version: string;
  createdAt: string;
  subjects: readonly string[];
  mergeMethod: 'sum' | 'orthogonal';
  /** Reads of the base's tensors by hash (`ContentStore.get`); the worker checks the bytes against the hash. */
  fetchTensor: FetchTensor;
  /** Where changed tensors go (`ContentStore`). */
  sink: TensorSink;
  /** Runs the arithmetic off the event loop. */
  worker: LoraDeltaWorker;
  /** Tensors in flight at once (default 4): reads, arithmetic and writes overlap. */
  concurrency?: number;
  signal?: AbortSignal;
}

/** The merged version and what the merge touched. */
export interface MergedManifest {
  readonly manifest: ModelManifest;
  /** Entry names whose tensors changed (each read once and written once). */
  readonly changed: readonly string[];
  /** Bytes of the changed tensors (read, and again written). */
  readonly changedBytes: number;
}

/**
 * Merges a LoRA file (kohya keys, as training saves them) into a model version: for each adapted
 * linear layer, `W' = W + scale * (alpha / rank) * up down` in the weight's own layout and dtype
 * (`addLoraDelta`, the same arithmetic as a local `imagine --lora`), checked and hashed in the
 * worker thread and stored with `putHashed`.
 * The new manifest lists every tensor; unchanged ones keep their hashes and are never read.
 * Layers are matched through the linear-layer index saved at import (`lora_unet_*` to the UNet,
 * `lora_te_*` to the text encoder); a layer with no match or other sizes is an error naming it.
 */
export async function mergeLoraIntoManifest(base: ModelManifest, lora: Uint8Array, options: MergeLoraIntoManifestOptions): Promise<MergedManifest> {
  const { fetchTensor, sink, worker, signal } = options;
  if (!Number.isFinite(options.scale)) throw new RangeError(`the merge scale must be a finite number (got ${options.scale})`);
  const { lora: weights } = parseLoraFile(lora);
  const jobs: { name: string; entry: ManifestTensor; target: LinearLayer; layer: LoraLayer }[] = [];
  const byComponent = new Map<string, LoraLayer[]>();
  for (const layer of weights.layers) byComponent.set(prefixOf(layer.key), [...(byComponent.get(prefixOf(layer.key)) ?? []), layer]);
  for (const [prefix, layers] of byComponent) {
    const component = COMPONENT_OF_PREFIX[prefix]!;
    const linear = await linearLayersOf(base, component, prefix, fetchTensor, signal);
    const graph = namedGraph(component);
    for (const layer of layers) {
      const target = matchLayer(graph, linear, layer);
      if (linear.get(layer.key)!.shared) {
        throw new Error(`LoRA layer ${layer.key} adapts ${target.weightName}, which several nodes of ${component} share; a version merge rewrites weights in place, so it cannot adapt a shared one`);
      }
      const name = weightEntryName(component, target.weightName);
      const entry = base.tensors[name];
      if (entry === undefined) throw new Error(`version ${base.version} has no tensor ${name} for LoRA layer ${layer.key}; the manifest is incomplete`);
      jobs.push({ name, entry, target, layer });
    }
  }
  const tensors = { ...base.tensors };
  let changedBytes = 0;
  await mapConcurrent(jobs, options.concurrency ?? 4, async ({ name, entry, target, layer }) => {
    signal?.throwIfAborted();
    const merged = await worker.apply(await fetchTensor(entry.sha256, signal), entry.sha256, target.dtype, target.layout, layer, options.scale);
    changedBytes += merged.bytes.byteLength;
    await sink.putHashed(merged.bytes, merged.sha256, signal === undefined ? {} : { signal });
    tensors[name] = { ...entry, sha256: merged.sha256 };
  });
  const manifest = parseModelManifest(
    { format: 1, version: options.version, parent: base.version, subjects: [...options.subjects], mergeMethod: options.mergeMethod, createdAt: options.createdAt, tensors },
    `the manifest merged into version ${options.version}`,
  );
  return { manifest, changed: jobs.map((job) => job.name), changedBytes };
}

function prefixOf(key: string): string {
  const prefix = Object.keys(COMPONENT_OF_PREFIX).find((p) => key.startsWith(`${p}_`));
  if (prefix === undefined) throw new Error(`LoRA layer ${key} has no known kohya prefix (${Object.keys(COMPONENT_OF_PREFIX).map((p) => `${p}_`).join(', ')})`);
  return prefix;
}

/** The component's linear layers by kohya key, from the index stored next to its graph. */
async function linearLayersOf(base: ModelManifest, component: string, prefix: string, fetchTensor: FetchTensor, signal?: AbortSignal): Promise<Map<string, IndexedLinearLayer>> {
  const indexName = linearIndexEntryOf(base.tensors, component);
  if (indexName === undefined) throw new Error(`version ${base.version} has no ${component} graph with a linear-layer index; it cannot take ${prefix}_* LoRA layers (re-import the base model)`);
  const { sha256 } = base.tensors[indexName]!;
  const bytes = await fetchTensor(sha256, signal);
  assertTensorHash(bytes, sha256);
  const layers = parseLinearLayerIndex(bytes, indexName);
  return new Map(layers.map((layer) => [kohyaKey(layer.modulePath, prefix), layer]));
}

/** `matchLayer` names the graph in its errors; the merge knows only the component's name. */
function namedGraph(name: string): OnnxGraph {
  return { name, inputs: [], outputs: [], initializers: [], nodes: [], valueInfo: [] };
}
