import type { AttributeValue, Initializer, OnnxGraph, OnnxNode, ValueInfo } from '../onnx/ir.ts';

/** The name of every value of `graph` prefixed with `prefix`, except where `links` maps it to another name. */
export interface RenamedGraph {
  readonly graph: OnnxGraph;
  /** Old name -> new name. */
  rename(name: string): string;
}

/**
 * Prefixes every value, initializer and node name of a component graph (`unet/conv_in.weight`),
 * so that two component graphs built separately (each with its own `const_0`) can be joined into
 * one training graph without clashes. `links` renames chosen names to fixed ones instead, which
 * is how one graph's output becomes another's input; a linked graph input is dropped from the
 * inputs, since the joined graph computes it.
 */
export function renameGraph(graph: OnnxGraph, prefix: string, links: Readonly<Record<string, string>> = {}): RenamedGraph {
  const rename = (name: string): string => (name === '' ? '' : (links[name] ?? `${prefix}${name}`));
  const value = (info: ValueInfo): ValueInfo => ({ ...info, name: rename(info.name) });
  const initializer = (init: Initializer): Initializer => ({ ...init, name: rename(init.name) });
  const attribute = (attr: AttributeValue): AttributeValue => (attr.type === 'tensor' ? { type: 'tensor', value: initializer(attr.value) } : attr);
  const node = (n: OnnxNode): OnnxNode => ({
    ...n,
    name: `${prefix}${n.name}`,
    inputs: n.inputs.map(rename),
    outputs: n.outputs.map(rename),
    attributes: Object.fromEntries(Object.entries(n.attributes).map(([key, attr]) => [key, attribute(attr)])),
  });
  return {
    graph: {
      name: `${prefix}${graph.name}`,
      inputs: graph.inputs.filter((input) => links[input.name] === undefined).map(value),
      outputs: graph.outputs.map(value),
      initializers: graph.initializers.map(initializer),
      nodes: graph.nodes.map(node),
      valueInfo: graph.valueInfo.map(value),
    },
    rename,
  };
}

/** Joins renamed component graphs in order (producers first): their nodes, initializers, inputs and value infos. */
export function concatGraphs(name: string, parts: readonly OnnxGraph[]): OnnxGraph {
  const produced = new Set(parts.flatMap((part) => part.nodes.flatMap((n) => n.outputs)));
  return {
    name,
    inputs: parts.flatMap((part) => part.inputs).filter((input) => !produced.has(input.name)),
    outputs: parts.flatMap((part) => part.outputs),
    initializers: parts.flatMap((part) => part.initializers),
    nodes: parts.flatMap((part) => part.nodes),
    valueInfo: parts.flatMap((part) => part.valueInfo),
  };
}

/**
 * Whether an initializer is a trainable weight of the tiny model: float32 and named by the
 * module builder (`conv_in.weight`), not a builder constant (`const_12`, possibly prefixed).
 */
export function isTrainableWeight(init: Initializer, prefix = ''): boolean {
  return init.dtype === 'float32' && init.name.startsWith(prefix) && !/^const_\d+$/.test(init.name.slice(prefix.length));
}
