import type { OnnxGraph, TensorData, ValueInfo } from './ir.ts';
import { formatShape, ShapeError } from './ops/infer-context.ts';
import { inferNode } from './ops/op-registry.ts';

/**
 * Re-runs shape inference over a whole graph (for example one read from a file, or one that
 * autodiff extended) and returns the type of every value. Throws a {@link ShapeError} when a node
 * refers to an unknown value, when inference fails, or when a declared output or value_info
 * disagrees with what the nodes compute.
 */
export function inferGraph(graph: OnnxGraph): Map<string, ValueInfo> {
  const types = new Map<string, ValueInfo>();
  const constants = new Map<string, TensorData>();
  for (const value of graph.inputs) types.set(value.name, value);
  for (const init of graph.initializers) {
    types.set(init.name, { name: init.name, dtype: init.dtype, shape: init.dims });
    constants.set(init.name, init.data);
  }
  for (const node of graph.nodes) {
    const inputs = node.inputs.map((name) => {
      if (name === '') return undefined;
      const type = types.get(name);
      if (type === undefined) throw new ShapeError(`${node.opType} "${node.name}": input "${name}" is not defined before the node`);
      return type;
    });
    const outputs = inferNode({
      opType: node.opType,
      nodeName: node.name,
      inputs,
      attributes: node.attributes,
      constant: (index) => constants.get(node.inputs[index] ?? ''),
    });
    node.outputs.forEach((name, i) => {
      const out = outputs[i];
      if (name === '' || out === undefined) return;
      if (types.has(name)) throw new ShapeError(`${node.opType} "${node.name}": output "${name}" is already defined`);
      types.set(name, { name, dtype: out.dtype, shape: out.shape });
    });
    if (node.opType === 'Constant') {
      const value = node.attributes['value'];
      if (value?.type === 'tensor') constants.set(node.outputs[0]!, value.value.data);
    }
  }
  for (const declared of [...graph.outputs, ...graph.valueInfo]) {
    const actual = types.get(declared.name);
    if (actual === undefined) throw new ShapeError(`graph "${graph.name}": value "${declared.name}" is declared but never computed`);
    const sameShape = actual.shape.length === declared.shape.length && actual.shape.every((d, i) => d === declared.shape[i]);
    if (actual.dtype !== declared.dtype || !sameShape) {
      throw new ShapeError(
        `graph "${graph.name}": "${declared.name}" is declared ${declared.dtype} ${formatShape(declared.shape)} but computes ${actual.dtype} ${formatShape(actual.shape)}`,
      );
    }
  }
  return types;
}
