import { intAttr, intsAttr } from '../attributes.ts';
import type { Dim } from '../ir.ts';
import {
  broadcastShapes,
  constantInts,
  fail,
  formatShape,
  input,
  normalizeAxis,
  sameDim,
  sameDType,
  shapeInput,
  type InferContext,
  type InferFn,
  type OutputType,
} from './infer-context.ts';

/** Slice ends at or beyond this mean "to the end of the axis". */
const TO_END = 2 ** 31 - 1;

function reshape(ctx: InferContext): OutputType[] {
  const x = input(ctx, 0);
  const target = shapeInput(ctx, 1, 'the target shape');
  const allowZero = intAttr(ctx.attributes, 'allowzero', 0) === 1;
  const out: Dim[] = target.map((t, i) => {
    if (typeof t === 'string') return t;
    if (t === 0 && !allowZero) {
      if (i >= x.shape.length) fail(ctx, `target ${formatShape(target)}: 0 at position ${i} copies a dim the input ${formatShape(x.shape)} lacks`);
      return x.shape[i]!;
    }
    if (t < -1) fail(ctx, `target ${formatShape(target)} has invalid dim ${t}`);
    return t;
  });
  const inferred = out.filter((d) => d === -1).length;
  if (inferred > 1) fail(ctx, `target ${formatShape(target)} has more than one -1`);
  const remaining = x.shape.filter((d): d is string => typeof d === 'string');
  for (const d of out) {
    if (typeof d !== 'string') continue;
    const at = remaining.indexOf(d);
    if (at < 0) fail(ctx, `cannot reshape ${formatShape(x.shape)} to ${formatShape(out)}: symbolic dim "${d}" is not available in the input`);
    remaining.splice(at, 1);
  }
  const staticIn = x.shape.reduce<number>((n, d) => (typeof d === 'number' ? n * d : n), 1);
  const staticOut = out.reduce<number>((n, d) => (typeof d === 'number' && d !== -1 ? n * d : n), 1);
  const where = `cannot reshape "${x.name}" ${formatShape(x.shape)} to ${formatShape(target)}`;
  if (inferred === 0) {
    if (remaining.length > 0 || staticIn !== staticOut) fail(ctx, `${where}: element counts differ`);
    return [{ dtype: x.dtype, shape: out }];
  }
  let fill: Dim;
  if (remaining.length === 0) {
    if (staticOut === 0 || staticIn % staticOut !== 0) fail(ctx, `${where}: ${staticIn} elements do not divide by ${staticOut}`);
    fill = staticIn / staticOut;
  } else if (remaining.length === 1 && staticIn === staticOut) {
    fill = remaining[0]!;
  } else {
    fail(ctx, `${where}: the -1 dim cannot be inferred statically (symbolic dims ${remaining.join(', ')} left over)`);
  }
  return [{ dtype: x.dtype, shape: out.map((d) => (d === -1 ? fill : d)) }];
}

function slice(ctx: InferContext): OutputType[] {
  const x = input(ctx, 0);
  const starts = constantInts(ctx, 1, 'starts');
  const ends = constantInts(ctx, 2, 'ends');
  const axes = ctx.inputs[3] === undefined ? starts.map((_, i) => i) : constantInts(ctx, 3, 'axes');
  const steps = ctx.inputs[4] === undefined ? starts.map(() => 1) : constantInts(ctx, 4, 'steps');
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    fail(ctx, 'starts, ends, axes and steps must have the same length');
  }
  const out: Dim[] = [...x.shape];
  starts.forEach((rawStart, i) => {
    const axis = normalizeAxis(ctx, axes[i]!, x.shape.length);
    const dim = x.shape[axis]!;
    const step = steps[i]!;
    if (step === 0) fail(ctx, 'steps must not be 0');
    if (typeof dim === 'string') {
      if (rawStart === 0 && ends[i]! >= TO_END && step === 1) return;
      fail(ctx, `cannot slice symbolic dim "${dim}" of "${x.name}" statically`);
    }
    const clampIndex = (v: number, lo: number, hi: number): number => Math.min(Math.max(v < 0 ? v + dim : v, lo), hi);
    const start = step > 0 ? clampIndex(rawStart, 0, dim) : clampIndex(rawStart, 0, dim - 1);
    const end = step > 0 ? clampIndex(ends[i]!, 0, dim) : clampIndex(ends[i]!, -1, dim - 1);
    out[axis] = Math.max(0, Math.ceil((end - start) / step));
  });
  return [{ dtype: x.dtype, shape: out }];
}

function indicesOf(ctx: InferContext, index: number): ReturnType<typeof input> {
  const indices = input(ctx, index);
  if (indices.dtype !== 'int32' && indices.dtype !== 'int64') fail(ctx, `indices "${indices.name}" must be int32 or int64, got ${indices.dtype}`);
  return indices;
}

function reduce(ctx: InferContext, axes: readonly number[] | undefined): OutputType[] {
  const x = input(ctx, 0);
  const keep = intAttr(ctx.attributes, 'keepdims', 1) === 1;
  const all = axes === undefined || axes.length === 0;
  const set = new Set((axes ?? []).map((a) => normalizeAxis(ctx, a, x.shape.length)));
  const shape: Dim[] = [];
  x.shape.forEach((d, i) => {
    if (all || set.has(i)) {
      if (keep) shape.push(1);
    } else {
      shape.push(d);
    }
  });
  return [{ dtype: x.dtype, shape }];
}

/** Operators that move, select or reduce elements. Shape-valued inputs must be build-time constants. */
export const SHAPE_OPS: Readonly<Record<string, InferFn>> = {
  Reshape: reshape,
  Slice: slice,
  Transpose: (ctx) => {
    const x = input(ctx, 0);
    const rank = x.shape.length;
    const perm = intsAttr(ctx.attributes, 'perm') ?? x.shape.map((_, i) => rank - 1 - i);
    if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
      fail(ctx, `perm [${perm.join(', ')}] is not a permutation of the ${rank} axes of "${x.name}"`);
    }
    return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]!) }];
  },
  Concat: (ctx) => {
    const first = input(ctx, 0);
    const dtype = sameDType(ctx, ctx.inputs.map((_, i) => i));
    const axis = normalizeAxis(ctx, intAttr(ctx.attributes, 'axis', 0), first.shape.length);
    const shape: Dim[] = [...first.shape];
    for (const value of ctx.inputs.slice(1)) {
      const other = value!;
      if (other.shape.length !== first.shape.length) fail(ctx, `"${other.name}" ${formatShape(other.shape)} and "${first.name}" ${formatShape(first.shape)} differ in rank`);
      other.shape.forEach((d, i) => {
        if (i !== axis && !sameDim(d, first.shape[i]!)) {
          fail(ctx, `"${other.name}" ${formatShape(other.shape)} and "${first.name}" ${formatShape(first.shape)} differ outside axis ${axis}`);
        }
      });
      const a = shape[axis]!;
      const b = other.shape[axis]!;
      if (typeof a !== 'number' || typeof b !== 'number') fail(ctx, `cannot concatenate along symbolic dim ${a} or ${b}`);
      shape[axis] = a + b;
    }
    return [{ dtype, shape }];
  },
  Gather: (ctx) => {
    const data = input(ctx, 0);
    const indices = indicesOf(ctx, 1);
    const axis = normalizeAxis(ctx, intAttr(ctx.attributes, 'axis', 0), data.shape.length);
    return [{ dtype: data.dtype, shape: [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)] }];
  },
  GatherElements: (ctx) => {
    const data = input(ctx, 0);
    const indices = indicesOf(ctx, 1);
    if (indices.shape.length !== data.shape.length) fail(ctx, `indices ${formatShape(indices.shape)} and data ${formatShape(data.shape)} differ in rank`);
    normalizeAxis(ctx, intAttr(ctx.attributes, 'axis', 0), data.shape.length);
    return [{ dtype: data.dtype, shape: indices.shape }];
  },
  Unsqueeze: (ctx) => {
    const x = input(ctx, 0);
    const rank = x.shape.length + constantInts(ctx, 1, 'axes').length;
    const axes = new Set(constantInts(ctx, 1, 'axes').map((a) => normalizeAxis(ctx, a, rank)));
    const rest = [...x.shape];
    return [{ dtype: x.dtype, shape: Array.from({ length: rank }, (_, i) => (axes.has(i) ? 1 : rest.shift()!)) }];
  },
  Squeeze: (ctx) => {
    const x = input(ctx, 0);
    const axes = new Set(constantInts(ctx, 1, 'axes').map((a) => normalizeAxis(ctx, a, x.shape.length)));
    for (const a of axes) if (x.shape[a] !== 1) fail(ctx, `cannot squeeze axis ${a} of ${formatShape(x.shape)}: its size is not 1`);
    return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !axes.has(i)) }];
  },
  Expand: (ctx) => {
    const x = input(ctx, 0);
    return [{ dtype: x.dtype, shape: broadcastShapes(ctx, [x.shape, shapeInput(ctx, 1, 'the target shape')]) }];
  },
  ArgMax: (ctx) => {
    const x = input(ctx, 0);
    const axis = normalizeAxis(ctx, intAttr(ctx.attributes, 'axis', 0), x.shape.length);
    const [out] = reduce(ctx, [axis]);
    return [{ dtype: 'int64', shape: out!.shape }];
  },
  ReduceMean: (ctx) => reduce(ctx, intsAttr(ctx.attributes, 'axes')),
  ReduceMax: (ctx) => reduce(ctx, intsAttr(ctx.attributes, 'axes')),
  Constant: (ctx) => {
    const value = ctx.attributes['value'];
    if (value?.type !== 'tensor') fail(ctx, 'only the "value" tensor attribute is supported');
    return [{ dtype: value.value.dtype, shape: value.value.dims }];
  },
  ReduceSum: (ctx) => reduce(ctx, ctx.inputs[1] === undefined ? undefined : constantInts(ctx, 1, 'axes')),
};
