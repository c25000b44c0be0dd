import { intAttr, intsAttr } from '../../attributes.ts';
import type { Dim, ValueInfo } from '../../ir.ts';
import { axisOf, staticDims } from '../gradient-emitter.ts';
import { outputGradOf, type GradientContext, type GradientRule } from '../gradient-rule.ts';

/** Ops that only rearrange elements without reordering them: the gradient is reshaped back. */
function reshapeBack(ctx: GradientContext): readonly (ValueInfo | undefined)[] {
  const x = ctx.input(0);
  return [ctx.emit.reshapeTo(outputGradOf(ctx), x.shape, x)];
}

function transpose(ctx: GradientContext): readonly (ValueInfo | undefined)[] {
  const rank = ctx.input(0).shape.length;
  const perm = intsAttr(ctx.node.attributes, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const inverse = new Array<number>(rank);
  perm.forEach((p, i) => (inverse[p] = i));
  return [ctx.emit.transpose(outputGradOf(ctx), inverse)];
}

function expand(ctx: GradientContext): readonly (ValueInfo | undefined)[] {
  return [ctx.emit.unbroadcast(outputGradOf(ctx), ctx.input(0).shape)];
}

/** Tile: view the gradient as `[r0, d0, r1, d1, ...]` and sum over the repeats. */
function tile(ctx: GradientContext): readonly (ValueInfo | undefined)[] {
  const e = ctx.emit;
  const x = ctx.input(0);
  const repeats = e.knownInts(ctx.node.inputs[1]!) ?? ctx.fail('repeats must be known at build time');
  if (repeats.every((r) => r === 1)) return [outputGradOf(ctx)];
  const dims = staticDims(x.shape) ?? ctx.fail(`the gradient of Tile needs a static input shape, got [${x.shape.join(', ')}]`);
  const split = e.reshapeTo(outputGradOf(ctx), dims.flatMap((d, i) => [repeats[i]!, d]));
  return [e.reduceSum(split, dims.map((_, i) => 2 * i), false)];
}

/** Concat: split the gradient into the inputs' widths along the axis. */
function concat(ctx: GradientContext): readonly (ValueInfo | undefined)[] {
  const rank = ctx.output(0).shape.length;
  const axis = axisOf(intAttr(ctx.node.attributes, 'axis', 0), rank);
  const sizes = ctx.node.inputs.map((_, i) => ctx.input(i).shape[axis]);
  if (!sizes.every((s): s is number => typeof s === 'number')) ctx.fail('cannot split the gradient along a symbolic axis');
  return ctx.emit.split(outputGradOf(ctx), axis, sizes);
}

/** Split: concatenate the outputs' gradients, with zeros for outputs no gradient reaches. */
function split(ctx: GradientContext): readonly (ValueInfo | undefined)[] {
  const rank = ctx.input(0).shape.length;
  const axis = axisOf(intAttr(ctx.node.attributes, 'axis', 0), rank);
  const parts = ctx.node.outputs.map((_, i) => ctx.outputGrad(i) ?? ctx.emit.zerosLike(ctx.output(i)));
  return [ctx.emit.concat(parts, axis)];
}

/** Resize, nearest, integer upscaling whose source index is `floor(i / scale)`: sum each block of the gradient. */
function resize(ctx: GradientContext): readonly (ValueInfo | undefined)[] {
  const e = ctx.emit;
  const x = ctx.input(0);
  const attrs = ctx.node.attributes;
  const mode = attrs['mode']?.value ?? 'nearest';
  if (mode !== 'nearest') ctx.fail(`only mode "nearest" has a gradient rule, got "${String(mode)}"`);
  const scalesData = e.constantData(ctx.node.inputs[2] ?? '') ?? ctx.fail('scales must be a constant (sizes are not supported)');
  const scales = Array.from(scalesData, Number);
  if (!scales.every((s) => Number.isInteger(s) && s >= 1)) ctx.fail(`only integer upscaling has a gradient rule, got scales [${scales.join(', ')}]`);
  const transform = String(attrs['coordinate_transformation_mode']?.value ?? 'half_pixel');
  if (!['asymmetric', 'half_pixel', 'pytorch_half_pixel'].includes(transform)) ctx.fail(`coordinate_transformation_mode "${transform}" has no gradient rule`);
  const rounding = String(attrs['nearest_mode']?.value ?? 'round_prefer_floor');
  for (const s of scales) {
    for (let i = 0; i < 2 * s; i++) {
      if (sourceIndex(i, s, transform, rounding) !== Math.floor(i / s)) {
        ctx.fail(`nearest mode "${rounding}" with coordinate_transformation_mode "${transform}" does not copy whole blocks at scale ${s}`);
      }
    }
  }
  const blocks: Dim[] = [];
  const axes: number[] = [];
  x.shape.forEach((d, i) => {
    blocks.push(d);
    if (scales[i] === 1) return;
    axes.push(blocks.length);
    blocks.push(scales[i]!);
  });
  return [e.reduceSum(e.reshapeTo(outputGradOf(ctx), blocks), axes, false)];
}

/** The input index nearest-neighbour Resize reads for output index `i` (1-D, input long enough). */
function sourceIndex(i: number, scale: number, transform: string, rounding: string): number {
  const x = transform === 'asymmetric' ? i / scale : (i + 0.5) / scale - 0.5;
  const clamped = Math.max(x, 0);
  const frac = clamped - Math.floor(clamped);
  if (rounding === 'floor') return Math.floor(clamped);
  if (rounding === 'ceil') return Math.ceil(clamped);
  if (frac === 0.5) return rounding === 'round_prefer_ceil' ? Math.ceil(clamped) : Math.floor(clamped);
  return Math.round(clamped);
}

/** Movement and layout ops: Reshape, Unsqueeze, Squeeze, Transpose, Expand, Tile, Concat, Split, Resize. */
export const LAYOUT_RULES: Readonly<Record<string, GradientRule>> = {
  Reshape: reshapeBack,
  Unsqueeze: reshapeBack,
  Squeeze: reshapeBack,
  Transpose: transpose,
  Expand: expand,
  Tile: tile,
  Concat: concat,
  Split: split,
  Resize: resize,
};
