import { intAttr, stringAttr } from '../attributes.ts';
import type { Dim } from '../ir.ts';
import { constantInts, fail, formatShape, input, normalizeAxis, sameDim, sameDType, type InferContext, type InferFn, type OutputType } from './infer-context.ts';

function split(ctx: InferContext): OutputType[] {
  const x = input(ctx, 0);
  const axis = normalizeAxis(ctx, intAttr(ctx.attributes, 'axis', 0), x.shape.length);
  const dim = x.shape[axis]!;
  if (typeof dim !== 'number') fail(ctx, `cannot split symbolic dim "${dim}" of "${x.name}"`);
  let sizes: number[];
  if (ctx.inputs[1] !== undefined) {
    sizes = constantInts(ctx, 1, 'split');
  } else {
    const count = ctx.outputCount ?? intAttr(ctx.attributes, 'num_outputs', 0);
    if (count < 1) fail(ctx, 'without a "split" input the number of outputs must be known');
    const part = Math.ceil(dim / count);
    sizes = Array.from({ length: count }, (_, i) => Math.max(Math.min(part, dim - part * i), 0));
  }
  if (sizes.reduce((a, b) => a + b, 0) !== dim || sizes.some((s) => s < 0)) fail(ctx, `split sizes [${sizes.join(', ')}] do not add up to dim ${dim} of "${x.name}" ${formatShape(x.shape)}`);
  return sizes.map((size) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === axis ? size : d)) }));
}

function pad(ctx: InferContext): OutputType[] {
  const x = input(ctx, 0);
  const rank = x.shape.length;
  const pads = constantInts(ctx, 1, 'pads');
  const axes = ctx.inputs[3] === undefined ? x.shape.map((_, i) => i) : constantInts(ctx, 3, 'axes').map((a) => normalizeAxis(ctx, a, rank));
  if (pads.length !== 2 * axes.length) fail(ctx, `pads [${pads.join(', ')}] must have two entries per padded axis (${axes.length})`);
  if (stringAttr(ctx.attributes, 'mode', 'constant') !== 'constant' && pads.some((p) => p < 0)) fail(ctx, 'negative pads need mode "constant"');
  const shape: Dim[] = [...x.shape];
  axes.forEach((axis, i) => {
    const [begin, end] = [pads[i]!, pads[i + axes.length]!];
    if (begin === 0 && end === 0) return;
    const d = shape[axis]!;
    if (typeof d !== 'number') fail(ctx, `cannot pad symbolic dim "${d}" of "${x.name}"`);
    if (d + begin + end < 0) fail(ctx, `pads [${pads.join(', ')}] remove more than dim ${d} of "${x.name}"`);
    shape[axis] = d + begin + end;
  });
  return [{ dtype: x.dtype, shape }];
}

function tile(ctx: InferContext): OutputType[] {
  const x = input(ctx, 0);
  const repeats = constantInts(ctx, 1, 'repeats');
  if (repeats.length !== x.shape.length) fail(ctx, `repeats [${repeats.join(', ')}] must have one entry per dim of ${formatShape(x.shape)}`);
  const shape = x.shape.map((d, i) => {
    const r = repeats[i]!;
    if (r === 1) return d;
    if (typeof d !== 'number') fail(ctx, `cannot tile symbolic dim "${d}" of "${x.name}"`);
    return d * r;
  });
  return [{ dtype: x.dtype, shape }];
}

function indicesOf(ctx: InferContext, index: number): ReturnType<typeof input> {
  const indices = input(ctx, index);
  if (indices.dtype !== 'int32' && indices.dtype !== 'int64') fail(ctx, `indices "${indices.name}" must be int32 or int64, got ${indices.dtype}`);
  return indices;
}

function scatterND(ctx: InferContext): OutputType[] {
  const data = input(ctx, 0);
  const indices = indicesOf(ctx, 1);
  const updates = input(ctx, 2);
  sameDType(ctx, [0, 2]);
  const depth = indices.shape[indices.shape.length - 1];
  if (typeof depth !== 'number' || depth > data.shape.length) fail(ctx, `the last dim of indices ${formatShape(indices.shape)} must be static and at most the rank of data ${formatShape(data.shape)}`);
  const expected = [...indices.shape.slice(0, -1), ...data.shape.slice(depth)];
  if (expected.length !== updates.shape.length || !expected.every((d, i) => sameDim(d, updates.shape[i]!))) {
    fail(ctx, `updates ${formatShape(updates.shape)} must have shape ${formatShape(expected)} for indices ${formatShape(indices.shape)} into data ${formatShape(data.shape)}`);
  }
  return [{ dtype: data.dtype, shape: data.shape }];
}

function scatterElements(ctx: InferContext): OutputType[] {
  const data = input(ctx, 0);
  const indices = indicesOf(ctx, 1);
  const updates = input(ctx, 2);
  sameDType(ctx, [0, 2]);
  normalizeAxis(ctx, intAttr(ctx.attributes, 'axis', 0), data.shape.length);
  const same = indices.shape.length === updates.shape.length && indices.shape.every((d, i) => sameDim(d, updates.shape[i]!));
  if (!same || indices.shape.length !== data.shape.length) fail(ctx, `indices ${formatShape(indices.shape)} and updates ${formatShape(updates.shape)} must share one shape of the rank of data ${formatShape(data.shape)}`);
  return [{ dtype: data.dtype, shape: data.shape }];
}

/** Operators that split, pad, repeat or scatter: `Split`, `Pad`, `Tile`, `ScatterND`, `ScatterElements`. */
export const INDEX_OPS: Readonly<Record<string, InferFn>> = {
  Split: split,
  Pad: pad,
  Tile: tile,
  ScatterND: scatterND,
  ScatterElements: scatterElements,
};
