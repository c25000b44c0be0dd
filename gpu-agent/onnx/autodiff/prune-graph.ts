import type { Initializer, OnnxGraph, OnnxNode, ValueInfo } from '../ir.ts';

/** What {@link pruneGraph} assembles. */
export interface PruneGraphInput {
  /** The forward graph (its name and inputs). */
  forward: OnnxGraph;
  /** Forward nodes followed by gradient nodes, in topological order. */
  nodes: readonly OnnxNode[];
  initializers: readonly Initializer[];
  /** The graph outputs, in order. */
  outputs: readonly ValueInfo[];
  /** Inputs and initializers that stay (as inputs) even when nothing reads them: the `wrt` entries. */
  keepInputs: readonly string[];
  /** Move the `keepInputs` initializers to the graph inputs. */
  parametersAsInputs: boolean;
  typeOf: (name: string) => ValueInfo;
}

/**
 * Assembles the gradient graph and drops what its outputs do not need: nodes (dead-code
 * elimination from the outputs), initializers, and graph inputs other than the `wrt` entries.
 * Every intermediate value gets a value_info entry with its inferred type.
 */
export function pruneGraph(input: PruneGraphInput): OnnxGraph {
  const needed = new Set(input.outputs.map((v) => v.name));
  const kept: OnnxNode[] = [];
  for (const node of [...input.nodes].reverse()) {
    if (!node.outputs.some((name) => needed.has(name))) continue;
    kept.push(node);
    for (const name of node.inputs) if (name !== '') needed.add(name);
  }
  kept.reverse();
  const keep = new Set(input.keepInputs);
  const moved = input.parametersAsInputs ? input.initializers.filter((i) => keep.has(i.name)) : [];
  const movedNames = new Set(moved.map((i) => i.name));
  const inputs = input.forward.inputs.filter((v) => needed.has(v.name) || keep.has(v.name));
  const listed = new Set(inputs.map((v) => v.name));
  for (const init of moved) if (!listed.has(init.name)) inputs.push({ name: init.name, dtype: init.dtype, shape: [...init.dims] });
  const outputNames = new Set(input.outputs.map((v) => v.name));
  const valueInfo = kept.flatMap((n) => n.outputs).filter((name) => name !== '' && !outputNames.has(name)).map(input.typeOf);
  return {
    name: `${input.forward.name}_gradient`,
    inputs,
    outputs: [...input.outputs],
    initializers: input.initializers.filter((i) => !movedNames.has(i.name) && (needed.has(i.name) || keep.has(i.name))),
    nodes: kept,
    valueInfo,
  };
}
