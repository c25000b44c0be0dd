import type { AttributeValue, DType, Dim, Shape, TensorData, ValueInfo } from '../ir.ts';

/** A shape or type mismatch found while building or checking a graph; the message names the node and the values. */
export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}

/** What an operator's inference function sees of one node. */
export interface InferContext {
  readonly opType: string;
  readonly nodeName: string;
  /** Input types in order; `undefined` for an omitted optional input. */
  readonly inputs: readonly (ValueInfo | undefined)[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /** How many outputs the node declares, when known (`Split` without sizes needs it). */
  readonly outputCount?: number;
  /** The data of input `index` when it is a constant known at build time (an initializer). */
  constant(index: number): TensorData | undefined;
  /**
   * The values of a small integer input known at build time as dims (numbers, or symbolic names
   * such as `'batch'` that came from a `Shape` node), when the caller tracks them.
   */
  shapeValue?(index: number): readonly Dim[] | undefined;
}

/** The inferred type of one node output. */
export interface OutputType {
  readonly dtype: DType;
  readonly shape: Shape;
}

/** An operator's shape and type inference: returns one type per output or throws a {@link ShapeError}. */
export type InferFn = (ctx: InferContext) => OutputType[];

/** Formats a shape for messages: `[batch, 4, 8, 8]`. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Throws a {@link ShapeError} prefixed with the node's op type and name. */
export function fail(ctx: InferContext, message: string): never {
  throw new ShapeError(`${ctx.opType} "${ctx.nodeName}": ${message}`);
}

/** Input `index`, which must be present. */
export function input(ctx: InferContext, index: number): ValueInfo {
  const value = ctx.inputs[index];
  if (value === undefined) fail(ctx, `input ${index} is required`);
  return value;
}

/** The integer values of a constant input (int64 or int32), which must be known at build time. */
export function constantInts(ctx: InferContext, index: number, what: string): number[] {
  const data = ctx.constant(index);
  if (data !== undefined) return Array.from(data as ArrayLike<number | bigint>, (v) => Number(v));
  const folded = ctx.shapeValue?.(index);
  if (folded !== undefined && folded.every((d) => typeof d === 'number')) return [...(folded as number[])];
  fail(ctx, `${what} (input ${index}) must be a constant known at build time`);
}

/**
 * A shape-valued input (a target shape): constant ints, or dims that may be symbolic when the
 * input was computed from a `Shape` node. Must be known at build time.
 */
export function shapeInput(ctx: InferContext, index: number, what: string): Dim[] {
  const data = ctx.constant(index);
  if (data !== undefined) return Array.from(data as ArrayLike<number | bigint>, (v) => Number(v));
  const folded = ctx.shapeValue?.(index);
  if (folded !== undefined) return [...folded];
  fail(ctx, `${what} (input ${index}) must be a constant known at build time (or computed from Shape)`);
}

/** The float values of a constant input, which must be known at build time. */
export function constantFloats(ctx: InferContext, index: number, what: string): number[] {
  const data = ctx.constant(index);
  if (data === undefined) fail(ctx, `${what} (input ${index}) must be a constant known at build time`);
  return Array.from(data as ArrayLike<number | bigint>, (v) => Number(v));
}

/** Normalizes a possibly negative axis against a rank, or fails. */
export function normalizeAxis(ctx: InferContext, axis: number, rank: number): number {
  const result = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(result) || result < 0 || result >= rank) fail(ctx, `axis ${axis} is out of range for rank ${rank}`);
  return result;
}

/** Whether two dims are provably equal. */
export function sameDim(a: Dim, b: Dim): boolean {
  return a === b;
}

/** Multidirectional (numpy) broadcasting of shapes; symbolic dims broadcast only with 1 or themselves. */
export function broadcastShapes(ctx: InferContext, shapes: readonly Shape[]): Dim[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const shape of shapes) {
      const d = shape[shape.length - rank + i] ?? 1;
      if (d === 1 || sameDim(d, dim)) continue;
      if (dim === 1) {
        dim = d;
        continue;
      }
      fail(ctx, `cannot broadcast shapes ${shapes.map(formatShape).join(' and ')} (dim ${i} from the right-aligned start: ${dim} vs ${d})`);
    }
    out.push(dim);
  }
  return out;
}

/** Requires all present inputs to share one dtype and returns it. */
export function sameDType(ctx: InferContext, indices: readonly number[]): DType {
  const types = indices.map((i) => input(ctx, i));
  const first = types[0]!.dtype;
  for (const t of types) {
    if (t.dtype !== first) fail(ctx, `inputs must share one element type: "${types[0]!.name}" is ${first} but "${t.name}" is ${t.dtype}`);
  }
  return first;
}

/** The element count of a shape when every dim is static, else `undefined`. */
export function staticSize(shape: Shape): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}
