import { inferGraph } from '../onnx/infer-graph.ts';
import type { OnnxGraph, Shape } from '../onnx/ir.ts';

/** Floating-point operations of one run of a graph, by operator type. */
export interface GraphFlops {
  /** Total multiply-adds times two, over MatMul, Gemm, Conv and ConvTranspose. */
  total: number;
  byOp: Record<string, number>;
}

/**
 * Counts the floating-point operations of one run of `graph` for concrete input shapes (each
 * symbolic dim replaced), by re-running the IR's shape inference: 2 x multiply-adds of MatMul,
 * Gemm, Conv and ConvTranspose. Elementwise ops, norms and softmax are left out; they are a few
 * percent of a UNet and memory-bound anyway. Throws when an input shape is missing or the graph
 * uses an operator the IR does not know.
 */
export function countGraphFlops(graph: OnnxGraph, inputShapes: Readonly<Record<string, readonly number[]>>): GraphFlops {
  const inputs = graph.inputs.map((input) => {
    const shape = inputShapes[input.name];
    if (shape === undefined) throw new Error(`no shape given for graph input "${input.name}"`);
    return { ...input, shape };
  });
  const types = inferGraph({ ...graph, inputs, outputs: [], valueInfo: [] });
  const shapeOf = (name: string | undefined): readonly number[] => {
    const shape: Shape | undefined = name === undefined ? undefined : types.get(name)?.shape;
    if (shape === undefined || shape.some((dim) => typeof dim !== 'number')) throw new Error(`value "${name}" has no concrete shape`);
    return shape as readonly number[];
  };
  const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);
  const byOp: Record<string, number> = {};
  for (const node of graph.nodes) {
    let flops = 0;
    if (node.opType === 'MatMul') {
      const a = shapeOf(node.inputs[0]);
      flops = 2 * product(shapeOf(node.outputs[0])) * (a[a.length - 1] ?? 1);
    } else if (node.opType === 'Gemm') {
      const a = shapeOf(node.inputs[0]);
      const transA = node.attributes['transA'];
      const k = transA?.type === 'int' && transA.value === 1 ? a[0] : a[1];
      flops = 2 * product(shapeOf(node.outputs[0])) * (k ?? 1);
    } else if (node.opType === 'Conv') {
      // weight [out, in / group, k...]: each output element takes in/group * prod(k) multiply-adds.
      const weight = shapeOf(node.inputs[1]);
      flops = 2 * product(shapeOf(node.outputs[0])) * product(weight.slice(1));
    } else if (node.opType === 'ConvTranspose') {
      // weight [in, out / group, k...]: each input element feeds out/group * prod(k) outputs.
      const weight = shapeOf(node.inputs[1]);
      flops = 2 * product(shapeOf(node.inputs[0])) * product(weight.slice(1));
    }
    if (flops > 0) byOp[node.opType] = (byOp[node.opType] ?? 0) + flops;
  }
  return { total: Object.values(byOp).reduce((a, b) => a + b, 0), byOp };
}
