import { attr } from '../attributes.ts';
import { DTYPES } from '../dtype.ts';
import type { GraphInference } from '../graph-inference.ts';
import type { AttributeValue, DType, Initializer, OnnxNode, Shape, ValueInfo } from '../ir.ts';
import { formatShape } from '../ops/infer-context.ts';
import { GradientError } from './gradient-error.ts';

/** A value, or a number that becomes a scalar constant of the other operand's element type. */
export type Operand = ValueInfo | number;

/** Slice ends at or past this take the rest of an axis, even walking backwards. */
export const SLICE_TO_END = 2 ** 62;

/** Whether two shapes are provably the same. */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function product(shape: Shape): number {
  return shape.reduce<number>((n, d) => (typeof d === 'number' ? n * d : n), 1);
}

function symbols(shape: Shape): string {
  return shape.filter((d): d is string => typeof d === 'string').sort().join(',');
}

/**
 * Appends gradient nodes to a forward graph: every method adds standard ONNX nodes (opset 17,
 * default domain), infers their types through the shared {@link GraphInference} at once, and
 * returns the new value. Names are `grad/<Op>_<n>`, never clashing with the forward graph's.
 * Helpers keep shapes static where they can (so the result passes `inferGraph`) and fall back to
 * `Shape` of a forward value where a dim is symbolic.
 */
export class GradientEmitter {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: Initializer[] = [];
  readonly #inference: GraphInference;
  readonly #taken: Set<string>;
  readonly #cache = new Map<string, ValueInfo>();
  #counter = 0;

  constructor(inference: GraphInference, takenNames: Iterable<string>) {
    this.#inference = inference;
    this.#taken = new Set(takenNames);
  }

  /** A fresh value or node name. */
  freshName(base: string): string {
    let name: string;
    do name = `grad/${base}_${this.#counter++}`;
    while (this.#taken.has(name));
    this.#taken.add(name);
    return name;
  }

  /** The type of any value defined so far. */
  type(name: string): ValueInfo {
    const info = this.#inference.type(name);
    if (info === undefined) throw new GradientError(`value "${name}" is not defined`);
    return info;
  }

  /** The data of a constant value (initializer), or `undefined`. */
  constantData(name: string): ArrayLike<number | bigint> | undefined {
    return this.#inference.constant(name);
  }

  /** The values of a small integer input known at build time (constants and folded shape computations). */
  knownInts(name: string): number[] | undefined {
    const values = this.#inference.shapeValue(name);
    return values !== undefined && values.every((d) => typeof d === 'number') ? [...(values as number[])] : undefined;
  }

  /** Adds one node; `undefined` inputs are omitted optional inputs. `outputNames` fixes the output names. */
  node(opType: string, inputs: readonly (ValueInfo | undefined)[], attributes: Record<string, AttributeValue> = {}, outputCount = 1, outputNames?: readonly string[]): ValueInfo[] {
    const name = this.freshName(opType);
    const outputs = outputNames ?? Array.from({ length: outputCount }, (_, i) => (outputCount === 1 ? name : `${name}:${i}`));
    for (const out of outputNames ?? []) this.#taken.add(out);
    let end = inputs.length;
    while (end > 0 && inputs[end - 1] === undefined) end--;
    const node: OnnxNode = { name, opType, domain: '', inputs: inputs.slice(0, end).map((v) => v?.name ?? ''), outputs, attributes };
    const types = this.#inference.addNode(node);
    this.nodes.push(node);
    return types;
  }

  /** Adds a node with one output. */
  one(opType: string, inputs: readonly (ValueInfo | undefined)[], attributes: Record<string, AttributeValue> = {}): ValueInfo {
    return this.node(opType, inputs, attributes)[0]!;
  }

  /** A constant tensor; float16 constants are written as float32 and cast. Small constants are shared. */
  constant(dtype: DType, dims: readonly number[], values: readonly number[]): ValueInfo {
    const key = values.length <= 16 ? `${dtype}:${dims.join('x')}:${values.join(',')}` : undefined;
    const cached = key === undefined ? undefined : this.#cache.get(key);
    if (cached !== undefined) return cached;
    let value: ValueInfo;
    if (dtype === 'float16') {
      value = this.cast(this.constant('float32', dims, values), 'float16');
    } else {
      const data = dtype === 'int64' ? BigInt64Array.from(values, (v) => BigInt(v)) : (DTYPES[dtype].create(values.length) as Float64Array);
      if (!(data instanceof BigInt64Array)) data.set(values);
      const init: Initializer = { name: this.freshName('const'), dtype, dims: [...dims], data };
      this.#inference.addInitializer(init);
      this.initializers.push(init);
      value = this.type(init.name);
    }
    if (key !== undefined) this.#cache.set(key, value);
    return value;
  }

  /** A scalar constant of `like`'s element type (or of `like` itself when it is a dtype). */
  scalar(value: number, like: ValueInfo | DType): ValueInfo {
    return this.constant(typeof like === 'string' ? like : like.dtype, [], [value]);
  }

  /** A 1-D int64 constant (shapes, axes, pads). */
  ints(values: readonly number[]): ValueInfo {
    return this.constant('int64', [values.length], values);
  }

  #pair(a: Operand, b: Operand): [ValueInfo, ValueInfo] {
    const like = typeof a === 'number' ? (b as ValueInfo) : a;
    return [typeof a === 'number' ? this.scalar(a, like) : a, typeof b === 'number' ? this.scalar(b, like) : b];
  }

  add(a: Operand, b: Operand): ValueInfo { return this.one('Add', this.#pair(a, b)); }
  sub(a: Operand, b: Operand): ValueInfo { return this.one('Sub', this.#pair(a, b)); }
  mul(a: Operand, b: Operand): ValueInfo { return this.one('Mul', this.#pair(a, b)); }
  div(a: Operand, b: Operand): ValueInfo { return this.one('Div', this.#pair(a, b)); }
  neg(x: ValueInfo): ValueInfo { return this.one('Neg', [x]); }
  /** A one-input op such as `Exp`, `Sqrt`, `Sign`. */
  unary(opType: string, x: ValueInfo): ValueInfo { return this.one(opType, [x]); }
  cast(x: ValueInfo, to: DType): ValueInfo { return x.dtype === to ? x : this.one('Cast', [x], { to: attr.int(DTYPES[to].code) }); }
  where(condition: ValueInfo, a: Operand, b: Operand): ValueInfo { return this.one('Where', [condition, ...this.#pair(a, b)]); }
  matMul(a: ValueInfo, b: ValueInfo): ValueInfo { return this.one('MatMul', [a, b]); }

  /** Transpose; the identity permutation emits nothing. */
  transpose(x: ValueInfo, perm: readonly number[]): ValueInfo {
    return perm.every((p, i) => p === i) ? x : this.one('Transpose', [x], { perm: attr.ints(perm) });
  }

  /** Swaps the last two axes. */
  transposeLast(x: ValueInfo): ValueInfo {
    const rank = x.shape.length;
    return this.transpose(x, Array.from({ length: rank }, (_, i) => (i < rank - 2 ? i : 2 * rank - 3 - i)));
  }

  /** ReduceSum over `axes` (none: returns `x`, since ONNX would reduce everything). */
  reduceSum(x: ValueInfo, axes: readonly number[], keepDims: boolean): ValueInfo {
    if (axes.length === 0) return x;
    return this.one('ReduceSum', [x, this.ints(axes)], { keepdims: attr.int(keepDims ? 1 : 0) });
  }

  /** ReduceMean over `axes` (opset 17: axes is an attribute). */
  reduceMean(x: ValueInfo, axes: readonly number[], keepDims: boolean): ValueInfo {
    if (axes.length === 0) return x;
    return this.one('ReduceMean', [x], { axes: attr.ints(axes), keepdims: attr.int(keepDims ? 1 : 0) });
  }

  unsqueeze(x: ValueInfo, axes: readonly number[]): ValueInfo { return axes.length === 0 ? x : this.one('Unsqueeze', [x, this.ints(axes)]); }
  squeeze(x: ValueInfo, axes: readonly number[]): ValueInfo { return axes.length === 0 ? x : this.one('Squeeze', [x, this.ints(axes)]); }
  concat(values: readonly ValueInfo[], axis: number): ValueInfo { return values.length === 1 ? values[0]! : this.one('Concat', values, { axis: attr.int(axis) }); }

  /** Slice with constant starts, ends, axes and steps. */
  slice(x: ValueInfo, starts: readonly number[], ends: readonly number[], axes: readonly number[], steps?: readonly number[]): ValueInfo {
    if (axes.length === 0) return x;
    return this.one('Slice', [x, this.ints(starts), this.ints(ends), this.ints(axes), this.ints(steps ?? axes.map(() => 1))]);
  }

  /** Zero padding; `pads` is begin pads then end pads for every axis. */
  pad(x: ValueInfo, pads: readonly number[]): ValueInfo {
    return pads.every((p) => p === 0) ? x : this.one('Pad', [x, this.ints(pads)], { mode: attr.string('constant') });
  }

  /**
   * Spreads `count` entries along `axis` to every `stride`-th position with zeros between
   * (length `(count - 1) * stride + 1`): unsqueeze, zero-pad the new axis, merge, trim.
   */
  dilate(g: ValueInfo, axis: number, stride: number, count: number): ValueInfo {
    if (stride === 1 || count <= 1) return g;
    const rank = g.shape.length;
    const pads = new Array<number>(2 * (rank + 1)).fill(0);
    pads[rank + 1 + axis + 1] = stride - 1;
    const spread = this.reshapeTo(this.pad(this.unsqueeze(g, [axis + 1]), pads), g.shape.map((d, i) => (i === axis ? count * stride : d)));
    return this.slice(spread, [0], [(count - 1) * stride + 1], [axis]);
  }

  /** Splits along `axis` into pieces of the given sizes. */
  split(x: ValueInfo, axis: number, sizes: readonly number[]): ValueInfo[] {
    if (sizes.length === 1) return [x];
    return this.node('Split', [x, this.ints(sizes)], { axis: attr.int(axis) }, sizes.length);
  }

  /** `Shape` of a value (int64 1-D). */
  shapeOf(x: ValueInfo): ValueInfo {
    return this.one('Shape', [x]);
  }

  /**
   * Reshapes `x` to `shape`: a constant target when the shape is static, symbolic dims encoded as
   * 0 (copy, same position) or one -1 (infer); else `Shape(like)`, which needs a value of that shape.
   */
  reshapeTo(x: ValueInfo, shape: Shape, like?: ValueInfo): ValueInfo {
    if (sameShape(x.shape, shape)) return x;
    const moved = shape.filter((d, i) => typeof d === 'string' && x.shape[i] !== d).length;
    if (moved <= 1 && symbols(x.shape) === symbols(shape) && product(x.shape) === product(shape)) {
      return this.one('Reshape', [x, this.ints(shape.map((d, i) => (typeof d === 'number' ? d : x.shape[i] === d ? 0 : -1)))]);
    }
    if (like !== undefined && sameShape(like.shape, shape)) return this.one('Reshape', [x, this.shapeOf(like)]);
    throw new GradientError(`cannot reshape "${x.name}" ${formatShape(x.shape)} to ${formatShape(shape)} without a value of that shape`);
  }

  /** Broadcasts `x` to the shape of `like` (Expand with a constant target, or `Shape(like)` for symbolic dims `x` lacks). */
  expandTo(x: ValueInfo, like: ValueInfo): ValueInfo {
    if (sameShape(x.shape, like.shape)) return x;
    const offset = like.shape.length - x.shape.length;
    const target: number[] = [];
    for (const [i, d] of like.shape.entries()) {
      if (typeof d === 'number') target.push(d);
      else if (i >= offset && x.shape[i - offset] === d) target.push(1);
      else return this.one('Expand', [x, this.shapeOf(like)]);
    }
    return this.one('Expand', [x, this.ints(target)]);
  }

  /** Sums a gradient over the axes that broadcasting added or stretched, so it has `to`'s shape. */
  unbroadcast(g: ValueInfo, to: Shape): ValueInfo {
    if (sameShape(g.shape, to)) return g;
    const lead = g.shape.length - to.length;
    if (lead < 0) throw new GradientError(`gradient "${g.name}" ${formatShape(g.shape)} has a lower rank than ${formatShape(to)}`);
    const axes = Array.from({ length: lead }, (_, i) => i);
    to.forEach((d, i) => {
      if (d === 1 && g.shape[lead + i] !== 1) axes.push(lead + i);
    });
    const reduced = this.squeeze(this.reduceSum(g, axes, true), axes.slice(0, lead));
    if (!sameShape(reduced.shape, to)) throw new GradientError(`gradient "${g.name}" ${formatShape(g.shape)} does not reduce to ${formatShape(to)}`);
    return reduced;
  }

  /** A tensor of zeros with `like`'s type, made at run time by ConstantOfShape (no large initializer). */
  zerosLike(like: ValueInfo): ValueInfo {
    return this.zeros(like.shape, like.dtype, like);
  }

  /** Zeros of a shape; symbolic dims need `like`, a value of that shape. */
  zeros(shape: Shape, dtype: DType, like?: ValueInfo): ValueInfo {
    const dims = staticDims(shape);
    let target: ValueInfo;
    if (dims !== undefined) target = this.ints(dims);
    else if (like !== undefined && sameShape(like.shape, shape)) target = this.shapeOf(like);
    else throw new GradientError(`cannot make zeros of symbolic shape ${formatShape(shape)} without a value of that shape`);
    const fill: Initializer = { name: 'value', dtype, dims: [1], data: DTYPES[dtype].create(1) };
    return this.one('ConstantOfShape', [target], { value: attr.tensor(fill) });
  }

  /** Adds gradient contributions (Add for two, Sum for more). */
  sum(values: readonly ValueInfo[]): ValueInfo {
    if (values.length === 0) throw new GradientError('nothing to sum');
    if (values.length === 1) return values[0]!;
    return values.length === 2 ? this.add(values[0]!, values[1]!) : this.one('Sum', values);
  }

  /** An Identity node that gives a value a chosen name (a graph output). */
  rename(x: ValueInfo, name: string): ValueInfo {
    if (this.#taken.has(name)) throw new GradientError(`output name "${name}" is already used in the graph`);
    return this.node('Identity', [x], {}, 1, [name])[0]!;
  }
}

/** Dims as a static shape, or `undefined` when one is symbolic. */
export function staticDims(shape: Shape): number[] | undefined {
  return shape.every((d): d is number => typeof d === 'number') ? [...shape] : undefined;
}

/** Normalizes a possibly negative axis. */
export function axisOf(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
