import type { OnnxGraph } from '../../gpu-agent/onnx/ir.ts';
import { findLinearLayers, type LinearLayer } from '../../gpu-agent/lora/find-linear-layers.ts';

/** A linear layer as the index records it: `shared` when other nodes also read its weight. */
export interface IndexedLinearLayer extends LinearLayer {
  readonly shared: boolean;
}

/**
 * The linear layers of a graph (`findLinearLayers`), saved next to its skeleton at import. A merge
 * needs only these (names, layouts, sizes) to match LoRA keys to weights; decoding the skeleton
 * instead would allocate every weight of the graph (3.4 GB for SD's UNet) just to read dims.
 */
export function buildLinearLayerIndex(graph: OnnxGraph): IndexedLinearLayer[] {
  const uses = new Map<string, number>();
  for (const node of graph.nodes) for (const input of node.inputs) uses.set(input, (uses.get(input) ?? 0) + 1);
  return findLinearLayers(graph).map((layer) => ({ ...layer, shared: (uses.get(layer.weightName) ?? 0) > 1 }));
}

/** The index as stored bytes (JSON). */
export function serializeLinearLayerIndex(layers: readonly IndexedLinearLayer[]): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify({ format: 1, layers })}\n`);
}

/** Parses stored index bytes; throws naming `source` when they are not an index. */
export function parseLinearLayerIndex(bytes: Uint8Array, source: string): IndexedLinearLayer[] {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new Error(`${source} is not valid JSON (${(error as Error).message}); re-import the base model`);
  }
  const layers = (json as { format?: unknown; layers?: unknown }).layers;
  if ((json as { format?: unknown }).format !== 1 || !Array.isArray(layers)) throw new Error(`${source} is not a linear-layer index of format 1; re-import the base model`);
  return layers as IndexedLinearLayer[];
}
