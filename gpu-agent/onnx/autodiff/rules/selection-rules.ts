import { attr, intAttr } from '../../attributes.ts';
import type { ValueInfo } from '../../ir.ts';
import { axisOf, SLICE_TO_END } from '../gradient-emitter.ts';
import { outputGradOf, type GradientContext, type GradientRule } from '../gradient-rule.ts';

/** One sliced axis, normalized: `count` elements from `first` upwards in steps of `stride`. */
interface SlicedAxis {
  axis: number;
  dim: number;
  first: number;
  count: number;
  stride: number;
  reversed: boolean;
}

function slicedAxes(ctx: GradientContext): SlicedAxis[] {
  const e = ctx.emit;
  const x = ctx.input(0);
  const known = (i: number, what: string): number[] => e.knownInts(ctx.node.inputs[i]!) ?? ctx.fail(`${what} must be known at build time`);
  const starts = known(1, 'starts');
  const ends = known(2, 'ends');
  const axes = ctx.optionalInput(3) === undefined ? starts.map((_, i) => i) : known(3, 'axes');
  const steps = ctx.optionalInput(4) === undefined ? starts.map(() => 1) : known(4, 'steps');
  const out: SlicedAxis[] = [];
  starts.forEach((rawStart, i) => {
    const axis = axisOf(axes[i]!, x.shape.length);
    const dim = x.shape[axis]!;
    const step = steps[i]!;
    if (typeof dim !== 'number') return; // shape inference only allows whole symbolic axes
    const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v < 0 ? v + dim : v, lo), hi);
    const start = step > 0 ? clamp(rawStart, 0, dim) : clamp(rawStart, 0, dim - 1);
    const end = step > 0 ? clamp(ends[i]!, 0, dim) : clamp(ends[i]!, -1, dim - 1);
    const count = Math.max(0, Math.ceil((end - start) / step));
    out.push({ axis, dim, count, stride: Math.abs(step), reversed: step < 0, first: step > 0 ? start : start + (count - 1) * step });
  });
  return out;
}

/** Slice (any steps): scatter the gradient back into zeros by reversing, dilating and padding. */
function slice(ctx: GradientContext): readonly (ValueInfo | undefined)[] {
  const e = ctx.emit;
  const x = ctx.input(0);
  const axes = slicedAxes(ctx);
  if (axes.some((a) => a.count === 0)) return [e.zerosLike(x)];
  let g = outputGradOf(ctx);
  const pads = new Array<number>(2 * x.shape.length).fill(0);
  for (const a of axes) {
    if (a.reversed) g = e.slice(g, [-1], [-SLICE_TO_END], [a.axis], [-1]);
    g = e.dilate(g, a.axis, a.stride, a.count);
    pads[a.axis] = a.first;
    pads[x.shape.length + a.axis] = a.dim - a.first - ((a.count - 1) * a.stride + 1);
  }
  return [e.pad(g, pads)];
}

/** Indices as int64 with negative entries wrapped (skipped when they are constants known to be non-negative). */
function wrappedIndices(ctx: GradientContext, dim: number | string): ValueInfo {
  const e = ctx.emit;
  const indices = e.cast(ctx.input(1), 'int64');
  const data = e.constantData(ctx.node.inputs[1]!);
  if (data !== undefined && Array.from(data, Number).every((v) => v >= 0)) return indices;
  if (typeof dim !== 'number') ctx.fail(`negative indices into symbolic dim "${dim}" are not supported`);
  return e.where(e.one('Less', [indices, e.scalar(0, 'int64')]), e.add(indices, dim), indices);
}

/**
 * Gather (e.g. an embedding lookup): ScatterND with reduction "add" of the gradient rows into
 * zeros of the table's shape, so repeated indices accumulate. Other axes are moved to the front.
 */
function gather(ctx: GradientContext): readonly (ValueInfo | undefined)[] {
  if (!ctx.needsGrad(0)) return [];
  const e = ctx.emit;
  const data = ctx.input(0);
  const rank = data.shape.length;
  const axis = axisOf(intAttr(ctx.node.attributes, 'axis', 0), rank);
  const indexRank = ctx.input(1).shape.length;
  const g = outputGradOf(ctx);
  const front = [...Array.from({ length: indexRank }, (_, i) => axis + i), ...Array.from({ length: axis }, (_, i) => i), ...Array.from({ length: rank - axis - 1 }, (_, i) => axis + indexRank + i)];
  const updates = e.transpose(g, front);
  const tableShape = [data.shape[axis]!, ...data.shape.slice(0, axis), ...data.shape.slice(axis + 1)];
  const zeros = e.zeros(tableShape, data.dtype, axis === 0 ? data : undefined);
  const indices = e.unsqueeze(wrappedIndices(ctx, data.shape[axis]!), [indexRank]);
  const scattered = e.one('ScatterND', [zeros, indices, updates], { reduction: attr.string('add') });
  const back = Array.from({ length: rank }, (_, j) => (j < axis ? j + 1 : j === axis ? 0 : j));
  return [e.transpose(scattered, back)];
}

/** GatherElements: ScatterElements with reduction "add" into zeros. */
function gatherElements(ctx: GradientContext): readonly (ValueInfo | undefined)[] {
  if (!ctx.needsGrad(0)) return [];
  const e = ctx.emit;
  const data = ctx.input(0);
  const axis = axisOf(intAttr(ctx.node.attributes, 'axis', 0), data.shape.length);
  const indices = wrappedIndices(ctx, data.shape[axis]!);
  const attributes = { axis: attr.int(axis), reduction: attr.string('add') };
  return [e.one('ScatterElements', [e.zerosLike(data), indices, outputGradOf(ctx)], attributes)];
}

/** Ops that select elements: Slice, Gather, GatherElements. */
export const SELECTION_RULES: Readonly<Record<string, GradientRule>> = {
  Slice: slice,
  Gather: gather,
  GatherElements: gatherElements,
};
