import { attr } from '../onnx/attributes.ts';
import type { AttributeValue, DType, Initializer, OnnxGraph, OnnxNode, TensorData } from '../onnx/ir.ts';
import { float32ToFloat16Bits } from '../pipeline/host-tensors.ts';

/**
 * Writes raw ONNX nodes into an existing graph by value name, for edits the {@link GraphBuilder}
 * cannot make (it builds graphs from scratch). It infers nothing, so it also works on graphs whose
 * ops the IR's shape inference does not know (a real Stable Diffusion export); callers that can
 * afford it check the result with `inferGraph`. Generated names start with `prefix` and never
 * collide with a name already in the graph.
 */
export class NodeEmitter {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: Initializer[] = [];
  readonly #taken: Set<string>;
  readonly #prefix: string;
  #counter = 0;

  constructor(graph: OnnxGraph, prefix: string) {
    this.#prefix = prefix;
    this.#taken = new Set<string>();
    for (const value of [...graph.inputs, ...graph.outputs, ...graph.valueInfo]) this.#taken.add(value.name);
    for (const init of graph.initializers) this.#taken.add(init.name);
    for (const node of graph.nodes) {
      this.#taken.add(node.name);
      for (const output of node.outputs) this.#taken.add(output);
    }
  }

  /** Whether a value or node of this name exists in the graph or was emitted. */
  has(name: string): boolean {
    return this.#taken.has(name);
  }

  /** Reserves an exact name; throws if it is taken. */
  claim(name: string): string {
    if (this.#taken.has(name)) throw new Error(`the graph already has a value or node named "${name}"`);
    this.#taken.add(name);
    return name;
  }

  #fresh(base: string): string {
    let name: string;
    do name = `${this.#prefix}/${base}_${this.#counter++}`;
    while (this.#taken.has(name));
    this.#taken.add(name);
    return name;
  }

  /** Emits one node; returns its (first) output name. `output` fixes the output's name. */
  op(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}, output?: string): string {
    const name = this.#fresh(opType);
    const out = output ?? name;
    if (output !== undefined && !this.#taken.has(output)) this.#taken.add(output);
    this.nodes.push({ name, opType, domain: '', inputs: [...inputs], outputs: [out], attributes });
    return out;
  }

  /** Adds an initializer with an exact name (claimed) and returns the name. */
  initializer(name: string, dtype: DType, dims: readonly number[], data: TensorData): string {
    this.claim(name);
    this.initializers.push({ name, dtype, dims: [...dims], data });
    return name;
  }

  /** A constant tensor (an initializer with a generated name) of a float dtype, from float values. */
  constant(dtype: DType, dims: readonly number[], values: readonly number[] | Float32Array): string {
    const name = this.#fresh('const');
    this.initializers.push({ name, dtype, dims: [...dims], data: floatData(dtype, values) });
    return name;
  }

  /** A scalar float constant of `dtype`. */
  scalar(value: number, dtype: DType = 'float32'): string {
    return this.constant(dtype, [], [value]);
  }

  /** A 1-D int64 constant (axes, shapes). */
  ints(values: readonly number[]): string {
    const name = this.#fresh('ints');
    this.initializers.push({ name, dtype: 'int64', dims: [values.length], data: BigInt64Array.from(values, (v) => BigInt(v)) });
    return name;
  }

  // The ops the LoRA and training graphs use.
  add(a: string, b: string, output?: string): string { return this.op('Add', [a, b], {}, output); }
  sub(a: string, b: string, output?: string): string { return this.op('Sub', [a, b], {}, output); }
  mul(a: string, b: string, output?: string): string { return this.op('Mul', [a, b], {}, output); }
  div(a: string, b: string, output?: string): string { return this.op('Div', [a, b], {}, output); }
  matMul(a: string, b: string, output?: string): string { return this.op('MatMul', [a, b], {}, output); }
  sqrt(x: string): string { return this.op('Sqrt', [x]); }
  pow(x: string, exponent: string): string { return this.op('Pow', [x, exponent]); }
  identity(x: string, output?: string): string { return this.op('Identity', [x], {}, output); }
  transpose(x: string, perm: readonly number[]): string { return this.op('Transpose', [x], { perm: attr.ints(perm) }); }
  reduceSum(x: string, axes?: readonly number[], keepDims = false): string {
    return this.op('ReduceSum', axes === undefined ? [x] : [x, this.ints(axes)], { keepdims: attr.int(keepDims ? 1 : 0) });
  }
  reduceMean(x: string, axes: readonly number[], keepDims = false): string {
    return this.op('ReduceMean', [x], { axes: attr.ints(axes), keepdims: attr.int(keepDims ? 1 : 0) });
  }
  less(a: string, b: string): string { return this.op('Less', [a, b]); }
  where(condition: string, a: string, b: string, output?: string): string { return this.op('Where', [condition, a, b], {}, output); }
}

/** Float values as the storage of `dtype` (float16 as rounded half bits). */
export function floatData(dtype: DType, values: readonly number[] | Float32Array): TensorData {
  const floats = values instanceof Float32Array ? values : Float32Array.from(values);
  if (dtype === 'float16') return float32ToFloat16Bits(floats);
  if (dtype === 'float32') return floats;
  if (dtype === 'float64') return Float64Array.from(values);
  throw new Error(`float constants of ${dtype} are not supported`);
}
