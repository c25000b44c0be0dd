import { attr } from './attributes.ts';
import { DTYPES } from './dtype.ts';
import { DEFAULT_OPSET, type AttributeValue, type DType, type Dim, type Initializer, type OnnxGraph, type OnnxModel, type OnnxNode, type Shape, type TensorData, type ValueInfo } from './ir.ts';
import { formatShape, ShapeError } from './ops/infer-context.ts';
import { inferNode } from './ops/op-registry.ts';
import { constantShapeValue, shapeValueOf } from './ops/shape-values.ts';

/** A value of the graph under construction: its name, element type and static shape. */
export type Value = ValueInfo;

/** A value, or a number that becomes a scalar constant of the other operand's element type. */
export type Operand = Value | number;

/** Options of {@link GraphBuilder.conv}. */
export interface ConvOptions {
  strides?: readonly number[];
  /** Begin pads then end pads, as in ONNX: `[top, left, bottom, right]` for 2-D. */
  pads?: readonly number[];
  dilations?: readonly number[];
  group?: number;
}

/** Options of {@link GraphBuilder.slice}; `axes` defaults to `0..n-1`, `steps` to 1. */
export interface SliceOptions {
  starts: readonly number[];
  ends: readonly number[];
  axes?: readonly number[];
  steps?: readonly number[];
}

function toTensorData(dtype: DType, values: TensorData | readonly number[]): TensorData {
  if (ArrayBuffer.isView(values)) return values;
  if (dtype === 'int64') return BigInt64Array.from(values, (v) => BigInt(v));
  if (dtype === 'float16') throw new Error('float16 constants must be given as raw half bits (Uint16Array)');
  const data = DTYPES[dtype].create(values.length) as Float32Array;
  data.set(values);
  return data;
}

/**
 * Builds an {@link OnnxGraph} op by op. Every method adds one ONNX node (opset 17, default domain
 * only), infers its output type and shape at once, and throws a {@link ShapeError} that names the
 * node and its operands on a mismatch, so a wrong graph fails where it is written, not in the runtime.
 */
export class GraphBuilder {
  readonly #name: string;
  readonly #values = new Map<string, ValueInfo>();
  readonly #constants = new Map<string, TensorData>();
  readonly #shapeValues = new Map<string, readonly Dim[]>();
  readonly #constantCache = new Map<string, Value>();
  readonly #inputs: ValueInfo[] = [];
  readonly #outputs: ValueInfo[] = [];
  readonly #initializers: Initializer[] = [];
  readonly #nodes: OnnxNode[] = [];
  readonly #scopes: string[] = [];
  #counter = 0;

  constructor(name: string) {
    this.#name = name;
  }

  #define(info: ValueInfo): Value {
    if (this.#values.has(info.name)) throw new ShapeError(`graph "${this.#name}": value "${info.name}" is defined twice`);
    this.#values.set(info.name, info);
    return info;
  }

  #uniqueName(base: string): string {
    const prefix = this.#scopes.length === 0 ? '' : `${this.#scopes.join('.')}/`;
    return `${prefix}${base}_${this.#counter++}`;
  }

  #operand(value: Operand, like: Operand): Value {
    if (typeof value !== 'number') return value;
    return this.scalar(value, typeof like === 'number' ? 'float32' : like.dtype);
  }

  /** Declares a graph input. */
  input(name: string, dtype: DType, shape: Shape): Value {
    const value = this.#define({ name, dtype, shape: [...shape] });
    this.#inputs.push(value);
    return value;
  }

  /** Adds a named initializer (a weight); `data` must fill `dims` exactly. */
  initializer(name: string, dtype: DType, dims: readonly number[], data: TensorData | readonly number[]): Value {
    const tensor = toTensorData(dtype, data);
    const count = dims.reduce((a, b) => a * b, 1);
    if (tensor.length !== count) throw new ShapeError(`initializer "${name}": ${tensor.length} values do not fill dims ${formatShape(dims)}`);
    const value = this.#define({ name, dtype, shape: [...dims] });
    this.#initializers.push({ name, dtype, dims: [...dims], data: tensor });
    this.#constants.set(name, tensor);
    const known = constantShapeValue(value, tensor);
    if (known !== undefined) this.#shapeValues.set(name, known);
    return value;
  }

  /** Adds an unnamed constant tensor (an initializer with a generated name); equal small constants are shared. */
  constant(dtype: DType, dims: readonly number[], values: TensorData | readonly number[]): Value {
    const small = !ArrayBuffer.isView(values) && values.length <= 16;
    const key = small ? `${dtype}:${dims.join('x')}:${values.join(',')}` : undefined;
    const cached = key === undefined ? undefined : this.#constantCache.get(key);
    if (cached !== undefined) return cached;
    const value = this.initializer(`const_${this.#counter++}`, dtype, dims, values);
    if (key !== undefined) this.#constantCache.set(key, value);
    return value;
  }

  /** A scalar constant (shape `[]`). */
  scalar(value: number, dtype: DType = 'float32'): Value {
    return this.constant(dtype, [], [value]);
  }

  /** A 1-D int64 constant, as ONNX wants for shapes and axes. */
  ints(values: readonly number[]): Value {
    return this.constant('int64', [values.length], values);
  }

  /** Runs `build` with `name` appended to the prefix of generated node and value names. */
  scope<T>(name: string, build: () => T): T {
    this.#scopes.push(name);
    try {
      return build();
    } finally {
      this.#scopes.pop();
    }
  }

  /** Adds one node of any supported op; `undefined` inputs are omitted optional inputs. */
  node(opType: string, inputs: readonly (Value | undefined)[], attributes: Record<string, AttributeValue> = {}, outputCount = 1): Value[] {
    const name = this.#uniqueName(opType);
    for (const value of inputs) {
      if (value !== undefined && this.#values.get(value.name) !== value) {
        throw new ShapeError(`${opType} "${name}": input "${value.name}" does not belong to graph "${this.#name}"`);
      }
    }
    let end = inputs.length;
    while (end > 0 && inputs[end - 1] === undefined) end--;
    const used = inputs.slice(0, end);
    const types = inferNode({
      opType,
      nodeName: name,
      inputs: used,
      attributes,
      outputCount,
      constant: (index) => (used[index] === undefined ? undefined : this.#constants.get(used[index]!.name)),
      shapeValue: (index) => (used[index] === undefined ? undefined : this.#shapeValues.get(used[index]!.name)),
    });
    const outputs = types.slice(0, outputCount).map((t, i) => this.#define({ name: outputCount === 1 ? name : `${name}:${i}`, dtype: t.dtype, shape: t.shape }));
    const known = shapeValueOf({ opType, attributes, inputs: used, outputs, value: (index) => (used[index] === undefined ? undefined : this.#shapeValues.get(used[index]!.name)) });
    if (known !== undefined) this.#shapeValues.set(outputs[0]!.name, known);
    this.#nodes.push({ name, opType, domain: '', inputs: used.map((v) => v?.name ?? ''), outputs: outputs.map((v) => v.name), attributes: { ...attributes } });
    return outputs;
  }

  #one(opType: string, inputs: readonly (Value | undefined)[], attributes: Record<string, AttributeValue> = {}): Value {
    return this.node(opType, inputs, attributes)[0]!;
  }

  /** Marks a value as a graph output, renamed through an Identity node when `name` differs. */
  output(value: Value, name?: string): Value {
    let out = value;
    if (name !== undefined && name !== value.name) {
      out = this.#define({ name, dtype: value.dtype, shape: value.shape });
      this.#nodes.push({ name: this.#uniqueName('Identity'), opType: 'Identity', domain: '', inputs: [value.name], outputs: [name], attributes: {} });
    }
    this.#outputs.push(out);
    return out;
  }

  /** The graph built so far. */
  build(): OnnxGraph {
    const outputs = new Set(this.#outputs.map((v) => v.name));
    const valueInfo = this.#nodes.flatMap((n) => n.outputs).filter((name) => !outputs.has(name)).map((name) => this.#values.get(name)!);
    return { name: this.#name, inputs: [...this.#inputs], outputs: [...this.#outputs], initializers: [...this.#initializers], nodes: [...this.#nodes], valueInfo };
  }

  /** The graph built so far, wrapped as a model of opset {@link DEFAULT_OPSET}. */
  model(options: { docString?: string; metadata?: Record<string, string> } = {}): OnnxModel {
    return { graph: this.build(), opset: DEFAULT_OPSET, producerName: 'teambooth', producerVersion: '0.1.0', ...options };
  }

  // Elementwise arithmetic (numpy broadcasting).
  add(a: Operand, b: Operand): Value { return this.#one('Add', [this.#operand(a, b), this.#operand(b, a)]); }
  sub(a: Operand, b: Operand): Value { return this.#one('Sub', [this.#operand(a, b), this.#operand(b, a)]); }
  mul(a: Operand, b: Operand): Value { return this.#one('Mul', [this.#operand(a, b), this.#operand(b, a)]); }
  div(a: Operand, b: Operand): Value { return this.#one('Div', [this.#operand(a, b), this.#operand(b, a)]); }
  pow(a: Value, exponent: Operand): Value { return this.#one('Pow', [a, this.#operand(exponent, a)]); }
  equal(a: Operand, b: Operand): Value { return this.#one('Equal', [this.#operand(a, b), this.#operand(b, a)]); }
  less(a: Operand, b: Operand): Value { return this.#one('Less', [this.#operand(a, b), this.#operand(b, a)]); }
  greater(a: Operand, b: Operand): Value { return this.#one('Greater', [this.#operand(a, b), this.#operand(b, a)]); }
  where(condition: Value, a: Operand, b: Operand): Value { return this.#one('Where', [condition, this.#operand(a, b), this.#operand(b, a)]); }

  // Elementwise functions.
  sqrt(x: Value): Value { return this.#one('Sqrt', [x]); }
  reciprocal(x: Value): Value { return this.#one('Reciprocal', [x]); }
  exp(x: Value): Value { return this.#one('Exp', [x]); }
  log(x: Value): Value { return this.#one('Log', [x]); }
  neg(x: Value): Value { return this.#one('Neg', [x]); }
  abs(x: Value): Value { return this.#one('Abs', [x]); }
  relu(x: Value): Value { return this.#one('Relu', [x]); }
  sigmoid(x: Value): Value { return this.#one('Sigmoid', [x]); }
  tanh(x: Value): Value { return this.#one('Tanh', [x]); }
  erf(x: Value): Value { return this.#one('Erf', [x]); }
  sin(x: Value): Value { return this.#one('Sin', [x]); }
  cos(x: Value): Value { return this.#one('Cos', [x]); }
  identity(x: Value): Value { return this.#one('Identity', [x]); }
  /** Converts the element type. */
  cast(x: Value, to: DType): Value { return this.#one('Cast', [x], { to: attr.int(DTYPES[to].code) }); }
  /** Softmax along one axis (opset 13 semantics). */
  softmax(x: Value, axis = -1): Value { return this.#one('Softmax', [x], { axis: attr.int(axis) }); }

  // Products, convolution, normalization, resizing.
  /** Numpy matrix product with batch broadcasting. */
  matMul(a: Value, b: Value): Value { return this.#one('MatMul', [a, b]); }
  /** `alpha * A' * B' + beta * C` for matrices. */
  gemm(a: Value, b: Value, c?: Value, options: { transA?: boolean; transB?: boolean; alpha?: number; beta?: number } = {}): Value {
    return this.#one('Gemm', [a, b, c], {
      alpha: attr.float(options.alpha ?? 1),
      beta: attr.float(options.beta ?? 1),
      transA: attr.int(options.transA === true ? 1 : 0),
      transB: attr.int(options.transB === true ? 1 : 0),
    });
  }
  /** N-d convolution, NCHW layout, weight `[out, in / group, ...kernel]`. */
  conv(x: Value, weight: Value, bias?: Value, options: ConvOptions = {}): Value {
    const attributes: Record<string, AttributeValue> = { kernel_shape: attr.ints(weight.shape.slice(2).map(Number)), group: attr.int(options.group ?? 1) };
    if (options.strides !== undefined) attributes['strides'] = attr.ints(options.strides);
    if (options.pads !== undefined) attributes['pads'] = attr.ints(options.pads);
    if (options.dilations !== undefined) attributes['dilations'] = attr.ints(options.dilations);
    return this.#one('Conv', [x, weight, bias], attributes);
  }
  /** LayerNormalization (opset 17) over the dims from `axis` on. */
  layerNormalization(x: Value, scale: Value, bias?: Value, options: { axis?: number; epsilon?: number } = {}): Value {
    return this.#one('LayerNormalization', [x, scale, bias], { axis: attr.int(options.axis ?? -1), epsilon: attr.float(options.epsilon ?? 1e-5) });
  }
  /** Nearest-neighbour resize by per-dim scales (e.g. `[1, 1, 2, 2]` doubles height and width). */
  resizeNearest(x: Value, scales: readonly number[]): Value {
    return this.#one('Resize', [x, undefined, this.constant('float32', [scales.length], scales)], {
      mode: attr.string('nearest'),
      coordinate_transformation_mode: attr.string('asymmetric'),
      nearest_mode: attr.string('floor'),
    });
  }

  // Shapes, selection, reduction.
  /**
   * Reshapes to static dims; a symbolic dim (e.g. `'batch'`) must come from the input. It is
   * encoded as 0 (copy) when it keeps its position, else as -1 (infer), so no Shape op is needed.
   */
  reshape(x: Value, dims: readonly Dim[]): Value {
    const target = dims.map((d, i) => (typeof d === 'string' ? (x.shape[i] === d ? 0 : -1) : d));
    if (target.filter((d) => d === -1).length > 1) {
      throw new ShapeError(`Reshape of "${x.name}" ${formatShape(x.shape)} to ${formatShape(dims)}: the -1 dim cannot be inferred statically (only one symbolic dim may move)`);
    }
    const out = this.#one('Reshape', [x, this.ints(target)]);
    const matches = out.shape.length === dims.length && out.shape.every((d, i) => dims[i] === -1 || d === dims[i]);
    if (!matches) throw new ShapeError(`Reshape "${out.name}": asked for ${formatShape(dims)} but "${x.name}" ${formatShape(x.shape)} gives ${formatShape(out.shape)}`);
    return out;
  }
  transpose(x: Value, perm: readonly number[]): Value { return this.#one('Transpose', [x], { perm: attr.ints(perm) }); }
  concat(values: readonly Value[], axis: number): Value { return this.#one('Concat', values, { axis: attr.int(axis) }); }
  slice(x: Value, options: SliceOptions): Value {
    const { starts, ends } = options;
    return this.#one('Slice', [x, this.ints(starts), this.ints(ends), this.ints(options.axes ?? starts.map((_, i) => i)), this.ints(options.steps ?? starts.map(() => 1))]);
  }
  gather(data: Value, indices: Value, axis = 0): Value { return this.#one('Gather', [data, indices], { axis: attr.int(axis) }); }
  gatherElements(data: Value, indices: Value, axis = 0): Value { return this.#one('GatherElements', [data, indices], { axis: attr.int(axis) }); }
  unsqueeze(x: Value, axes: readonly number[]): Value { return this.#one('Unsqueeze', [x, this.ints(axes)]); }
  squeeze(x: Value, axes: readonly number[]): Value { return this.#one('Squeeze', [x, this.ints(axes)]); }
  /** Broadcasts to `dims` (numpy rules; a 1 keeps the input's dim). */
  expand(x: Value, dims: readonly number[]): Value { return this.#one('Expand', [x, this.ints(dims)]); }
  argMax(x: Value, axis: number, keepDims = false): Value { return this.#one('ArgMax', [x], { axis: attr.int(axis), keepdims: attr.int(keepDims ? 1 : 0) }); }
  reduceMean(x: Value, axes: readonly number[], keepDims = true): Value {
    return this.#one('ReduceMean', [x], { axes: attr.ints(axes), keepdims: attr.int(keepDims ? 1 : 0) });
  }
  reduceMax(x: Value, axes: readonly number[], keepDims = true): Value {
    return this.#one('ReduceMax', [x], { axes: attr.ints(axes), keepdims: attr.int(keepDims ? 1 : 0) });
  }
  /** ReduceSum (opset 13: axes is an input). */
  reduceSum(x: Value, axes: readonly number[], keepDims = true): Value {
    return this.#one('ReduceSum', [x, this.ints(axes)], { keepdims: attr.int(keepDims ? 1 : 0) });
  }
}
