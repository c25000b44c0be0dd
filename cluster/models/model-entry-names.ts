import type { DType } from '../../gpu-agent/onnx/ir.ts';
import type { ManifestTensor } from '../blob-store/model-manifest.ts';

/**
 * How a model directory maps onto manifest entry names. A manifest lists three kinds of entries,
 * all content-addressed in the same store so an agent fetches only what it lacks:
 * - `<component>/<initializer>`: one float weight of a component's ONNX graph (`unet/conv_in.weight`);
 * - `graphs/<path>`: an ONNX file with every float weight replaced by a reference (a "skeleton");
 * - `files/<path>`: any other file of the directory (configs, tokenizer), byte for byte.
 * Skeletons and files are stored as `U8` vectors, so the manifest format needs no new fields.
 */
export const ENTRY_PREFIX = { graph: 'graphs/', file: 'files/' } as const;

/** The entry name of a weight of the component (the ONNX file's folder, e.g. `unet`). */
export function weightEntryName(component: string, initializer: string): string {
  return `${component}/${initializer}`;
}

/** The entry name of the linear-layer index of a graph (see `linear-layer-index.ts`). */
export function linearIndexEntryName(graphPath: string): string {
  return `${ENTRY_PREFIX.graph}${graphPath}.linear-layers.json`;
}

/** The entry name of the linear-layer index of `component`'s graph in a manifest's entries, or undefined when it has none. */
export function linearIndexEntryOf(entries: Readonly<Record<string, unknown>>, component: string): string | undefined {
  const graph = Object.keys(entries).find((name) => name.startsWith(`${ENTRY_PREFIX.graph}${component}/`) && name.endsWith('.onnx'));
  const index = graph === undefined ? undefined : linearIndexEntryName(graph.slice(ENTRY_PREFIX.graph.length));
  return index !== undefined && index in entries ? index : undefined;
}

/** The manifest dtype of an ONNX element type that is stored as a weight. */
export function manifestDtype(dtype: DType): ManifestTensor['dtype'] {
  switch (dtype) {
    case 'float32': return 'F32';
    case 'float16': return 'F16';
    case 'float64': return 'F64';
    default: throw new Error(`only float initializers are stored as weights (got ${dtype})`);
  }
}

/**
 * Checks a relative path taken from a manifest before it is joined to a directory: forward
 * slashes, no empty, `.` or `..` segments, so no entry can write outside the model directory.
 */
export function checkRelativePath(path: string, entry: string): string {
  const segments = path.split('/');
  if (path.length === 0 || segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\\'))) {
    throw new Error(`manifest entry ${JSON.stringify(entry)} names the path ${JSON.stringify(path)}, which is not a plain relative path; the manifest is corrupt or was not written by importModelDirectory`);
  }
  return path;
}

/**
 * The external-data location a skeleton gives a weight that the original file kept inline; the
 * materializer inlines it again (onnxruntime needs small constants such as Resize scales inline).
 */
export const INLINE_LOCATION = 'teambooth:inline';
