import { GraphInference } from './graph-inference.ts';
import type { OnnxGraph, ValueInfo } from './ir.ts';
import { formatShape, ShapeError } from './ops/infer-context.ts';

/**
 * Re-runs shape inference over a whole graph (for example one read from a file, or one that
 * autodiff extended) and returns the type of every value. Throws a {@link ShapeError} when a node
 * refers to an unknown value, when inference fails, or when a declared output or value_info
 * disagrees with what the nodes compute.
 */
export function inferGraph(graph: OnnxGraph): Map<string, ValueInfo> {
  const inference = inferGraphValues(graph);
  for (const declared of [...graph.outputs, ...graph.valueInfo]) {
    const actual = inference.type(declared.name);
    if (actual === undefined) throw new ShapeError(`graph "${graph.name}": value "${declared.name}" is declared but never computed`);
    const sameShape = actual.shape.length === declared.shape.length && actual.shape.every((d, i) => d === declared.shape[i]);
    if (actual.dtype !== declared.dtype || !sameShape) {
      throw new ShapeError(
        `graph "${graph.name}": "${declared.name}" is declared ${declared.dtype} ${formatShape(declared.shape)} but computes ${actual.dtype} ${formatShape(actual.shape)}`,
      );
    }
  }
  return new Map(inference.types());
}

/** Runs shape inference over a graph's nodes and returns the {@link GraphInference} state (types, constants, shape values). */
export function inferGraphValues(graph: OnnxGraph): GraphInference {
  const inference = new GraphInference();
  for (const value of graph.inputs) inference.addInput(value);
  for (const init of graph.initializers) inference.addInitializer(init);
  for (const node of graph.nodes) inference.addNode(node);
  return inference;
}
