import type { Initializer, OnnxGraph, OnnxNode } from '../onnx/ir.ts';

/**
 * A linear layer of a graph: a MatMul whose right operand is a constant weight. The weight is
 * stored either as PyTorch keeps it, `[out, in]` behind a Transpose (the tiny model, and torch
 * exports without constant folding), or already transposed to `[in, out]` (torch exports with
 * constant folding, where it becomes an initializer such as `onnx::MatMul_1234`).
 */
export interface LinearLayer {
  /** The module path in diffusers naming: `down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k`. */
  readonly modulePath: string;
  /** Name of the MatMul node. */
  readonly nodeName: string;
  /** Name of the weight initializer. */
  readonly weightName: string;
  /** `out-in`: the initializer is `[out, in]`, transposed in the graph; `in-out`: it is `[in, out]`. */
  readonly layout: 'out-in' | 'in-out';
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly dtype: 'float32' | 'float16';
}

/**
 * Lists the graph's linear layers with their module paths. The path comes from the weight's name
 * when it is a PyTorch parameter name (`<path>.weight`), else from the node's name as the torch
 * exporter writes it (`/down_blocks.0/attentions.0/transformer_blocks.0/attn1/to_q/MatMul` gives
 * `down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q`). Layers whose path cannot be told
 * are left out. Throws when two layers claim the same path.
 */
export function findLinearLayers(graph: OnnxGraph): LinearLayer[] {
  const initializers = new Map<string, Initializer>(graph.initializers.map((init) => [init.name, init]));
  const producers = new Map<string, OnnxNode>();
  for (const node of graph.nodes) for (const output of node.outputs) producers.set(output, node);
  const layers: LinearLayer[] = [];
  const seen = new Map<string, string>();
  for (const node of graph.nodes) {
    if (node.opType !== 'MatMul' || node.domain !== '') continue;
    const weight = weightOf(node.inputs[1] ?? '', initializers, producers);
    if (weight === undefined) continue;
    const modulePath = modulePathOf(weight.init.name, node.name);
    if (modulePath === undefined) continue;
    const previous = seen.get(modulePath);
    if (previous !== undefined) throw new Error(`MatMul nodes "${previous}" and "${node.name}" both map to module "${modulePath}"`);
    seen.set(modulePath, node.name);
    const [rows, cols] = weight.init.dims as [number, number];
    const [inFeatures, outFeatures] = weight.layout === 'in-out' ? [rows, cols] : [cols, rows];
    layers.push({ modulePath, nodeName: node.name, weightName: weight.init.name, layout: weight.layout, inFeatures, outFeatures, dtype: weight.init.dtype as 'float32' | 'float16' });
  }
  return layers;
}

function weightOf(name: string, initializers: ReadonlyMap<string, Initializer>, producers: ReadonlyMap<string, OnnxNode>): { init: Initializer; layout: LinearLayer['layout'] } | undefined {
  const usable = (init: Initializer | undefined): init is Initializer => init !== undefined && init.dims.length === 2 && (init.dtype === 'float32' || init.dtype === 'float16');
  const direct = initializers.get(name);
  if (usable(direct)) return { init: direct, layout: 'in-out' };
  const producer = producers.get(name);
  if (producer?.opType !== 'Transpose') return undefined;
  const perm = producer.attributes['perm'];
  if (perm !== undefined && !(perm.type === 'ints' && perm.value[0] === 1 && perm.value[1] === 0)) return undefined;
  const source = initializers.get(producer.inputs[0] ?? '');
  return usable(source) ? { init: source, layout: 'out-in' } : undefined;
}

function modulePathOf(weightName: string, nodeName: string): string | undefined {
  if (weightName.endsWith('.weight') && !weightName.startsWith('onnx::')) return weightName.slice(0, -'.weight'.length);
  if (!nodeName.startsWith('/')) return undefined;
  const segments = nodeName.slice(1).split('/');
  // The last segment names the op (`MatMul`, `MatMul_1`); the rest are the module names.
  if (segments.length < 2 || !/^MatMul(_\d+)?$/.test(segments[segments.length - 1]!)) return undefined;
  return segments.slice(0, -1).join('.');
}
