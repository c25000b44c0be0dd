import { attr } from '../../attributes.ts';
import { DTYPES } from '../../dtype.ts';
import type { Initializer, OnnxGraph, OnnxNode, ValueInfo } from '../../ir.ts';

/** Suffixes of the values {@link hostIoGraph} adds. */
export const HOST_IO = { base: '__base', delta: '__delta', hi: '__hi', lo: '__lo' } as const;

/**
 * Test helper: onnxruntime-node's host tensors (and the project's runtime) carry no float64, so a
 * float64 graph is wrapped for float32 I/O without losing precision. Each float64 input `x`
 * becomes an initializer `x__base` (its value) plus a float32 input `x__delta` added to it, so
 * finite differences perturb by exactly representable steps; each float64 output `y` comes back
 * as `y__hi + y__lo`, two float32 values that together carry about 48 bits. Other inputs get the
 * static dims of their feeds.
 */
export function hostIoGraph(graph: OnnxGraph, values: Readonly<Record<string, { dims: readonly number[]; data: readonly number[] }>>): OnnxGraph {
  const nodes: OnnxNode[] = [];
  const initializers: Initializer[] = [...graph.initializers];
  const inputs: ValueInfo[] = [];
  const node = (opType: string, inputNames: string[], output: string, attributes: OnnxNode['attributes'] = {}): void => {
    nodes.push({ name: `host_io/${output}`, opType, domain: '', inputs: inputNames, outputs: [output], attributes });
  };
  const f64 = attr.int(DTYPES.float64.code);
  const f32 = attr.int(DTYPES.float32.code);
  for (const input of graph.inputs) {
    const value = values[input.name];
    if (value === undefined) throw new Error(`no value for graph input "${input.name}"`);
    if (input.dtype !== 'float64') {
      inputs.push({ ...input, shape: [...value.dims] });
      continue;
    }
    const { base, delta } = { base: input.name + HOST_IO.base, delta: input.name + HOST_IO.delta };
    initializers.push({ name: base, dtype: 'float64', dims: [...value.dims], data: Float64Array.from(value.data) });
    inputs.push({ name: delta, dtype: 'float32', shape: [...value.dims] });
    node('Cast', [delta], `${delta}64`, { to: f64 });
    node('Add', [base, `${delta}64`], input.name);
  }
  nodes.push(...graph.nodes);
  const outputs: ValueInfo[] = [];
  for (const output of graph.outputs) {
    if (output.dtype !== 'float64') {
      outputs.push(output);
      continue;
    }
    const [hi, lo] = [output.name + HOST_IO.hi, output.name + HOST_IO.lo];
    node('Cast', [output.name], hi, { to: f32 });
    node('Cast', [hi], `${hi}64`, { to: f64 });
    node('Sub', [output.name, `${hi}64`], `${lo}64`);
    node('Cast', [`${lo}64`], lo, { to: f32 });
    outputs.push({ name: hi, dtype: 'float32', shape: output.shape }, { name: lo, dtype: 'float32', shape: output.shape });
  }
  return { name: graph.name, inputs, outputs, initializers, nodes, valueInfo: [] };
}
