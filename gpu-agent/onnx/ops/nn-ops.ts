import { floatAttr, intAttr, intsAttr, stringAttr } from '../attributes.ts';
import { isFloat } from '../dtype.ts';
import type { Dim } from '../ir.ts';
import {
  broadcastShapes,
  constantFloats,
  fail,
  formatShape,
  input,
  normalizeAxis,
  sameDim,
  sameDType,
  type InferContext,
  type InferFn,
  type OutputType,
} from './infer-context.ts';

function matMul(ctx: InferContext): OutputType[] {
  const dtype = sameDType(ctx, [0, 1]);
  const a = input(ctx, 0);
  const b = input(ctx, 1);
  if (a.shape.length === 0 || b.shape.length === 0) fail(ctx, 'operands must have rank 1 or more');
  const aShape = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
  const bShape = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
  const k1 = aShape[aShape.length - 1]!;
  const k2 = bShape[bShape.length - 2]!;
  if (!sameDim(k1, k2)) fail(ctx, `"${a.name}" ${formatShape(a.shape)} times "${b.name}" ${formatShape(b.shape)}: inner dims ${k1} and ${k2} differ`);
  const batch = broadcastShapes(ctx, [aShape.slice(0, -2), bShape.slice(0, -2)]);
  const shape: Dim[] = [...batch];
  if (a.shape.length > 1) shape.push(aShape[aShape.length - 2]!);
  if (b.shape.length > 1) shape.push(bShape[bShape.length - 1]!);
  return [{ dtype, shape }];
}

function gemm(ctx: InferContext): OutputType[] {
  const dtype = sameDType(ctx, ctx.inputs[2] === undefined ? [0, 1] : [0, 1, 2]);
  const a = input(ctx, 0);
  const b = input(ctx, 1);
  if (a.shape.length !== 2 || b.shape.length !== 2) fail(ctx, `A ${formatShape(a.shape)} and B ${formatShape(b.shape)} must be matrices`);
  const [m, ka] = intAttr(ctx.attributes, 'transA', 0) === 1 ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kb, n] = intAttr(ctx.attributes, 'transB', 0) === 1 ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (!sameDim(ka, kb)) fail(ctx, `inner dims ${ka} and ${kb} differ (A ${formatShape(a.shape)}, B ${formatShape(b.shape)})`);
  const c = ctx.inputs[2];
  if (c !== undefined) {
    const shape = broadcastShapes(ctx, [[m, n], c.shape]);
    if (shape.length !== 2 || !sameDim(shape[0]!, m) || !sameDim(shape[1]!, n)) fail(ctx, `C ${formatShape(c.shape)} does not broadcast to [${m}, ${n}]`);
  }
  return [{ dtype, shape: [m, n] }];
}

function conv(ctx: InferContext): OutputType[] {
  const dtype = sameDType(ctx, ctx.inputs[2] === undefined ? [0, 1] : [0, 1, 2]);
  const x = input(ctx, 0);
  const w = input(ctx, 1);
  const spatial = x.shape.length - 2;
  if (spatial < 1 || w.shape.length !== x.shape.length) fail(ctx, `input ${formatShape(x.shape)} and weight ${formatShape(w.shape)} must have the same rank, 3 or more`);
  const group = intAttr(ctx.attributes, 'group', 1);
  const channels = x.shape[1]!;
  const [outChannels, groupChannels] = [w.shape[0]!, w.shape[1]!];
  // A symbolic channel count is accepted when the weight names the same symbol (autodiff's weight gradient convolves over the batch).
  const sameSymbol = group === 1 && typeof channels === 'string' && channels === groupChannels && typeof outChannels === 'number';
  if (!sameSymbol && (typeof channels !== 'number' || typeof outChannels !== 'number' || typeof groupChannels !== 'number' || channels !== groupChannels * group)) {
    fail(ctx, `input "${x.name}" ${formatShape(x.shape)} has ${channels} channels but weight "${w.name}" ${formatShape(w.shape)} with group ${group} expects ${String(groupChannels)}x${group}`);
  }
  const bias = ctx.inputs[2];
  if (bias !== undefined && (bias.shape.length !== 1 || bias.shape[0] !== outChannels)) fail(ctx, `bias ${formatShape(bias.shape)} must be [${outChannels}]`);
  const kernel = intsAttr(ctx.attributes, 'kernel_shape') ?? w.shape.slice(2).map(Number);
  const strides = intsAttr(ctx.attributes, 'strides') ?? kernel.map(() => 1);
  const dilations = intsAttr(ctx.attributes, 'dilations') ?? kernel.map(() => 1);
  const pads = intsAttr(ctx.attributes, 'pads') ?? [...kernel, ...kernel].map(() => 0);
  if (stringAttr(ctx.attributes, 'auto_pad', 'NOTSET') !== 'NOTSET') fail(ctx, 'auto_pad is not supported; give explicit pads');
  const shape: Dim[] = [x.shape[0]!, outChannels];
  for (let i = 0; i < spatial; i++) {
    const size = x.shape[2 + i]!;
    if (typeof size !== 'number') fail(ctx, `spatial dim ${size} of "${x.name}" must be static`);
    if (kernel[i] !== w.shape[2 + i]) fail(ctx, `kernel_shape [${kernel.join(', ')}] disagrees with weight ${formatShape(w.shape)}`);
    const span = dilations[i]! * (kernel[i]! - 1) + 1;
    const out = Math.floor((size + pads[i]! + pads[i + spatial]! - span) / strides[i]!) + 1;
    if (out < 1) fail(ctx, `kernel ${kernel[i]} does not fit spatial dim ${size} with pads ${pads.join(', ')}`);
    shape.push(out);
  }
  return [{ dtype, shape }];
}

function layerNormalization(ctx: InferContext): OutputType[] {
  const x = input(ctx, 0);
  const scale = input(ctx, 1);
  if (!isFloat(x.dtype)) fail(ctx, `"${x.name}" must be a float tensor`);
  sameDType(ctx, ctx.inputs[2] === undefined ? [0, 1] : [0, 1, 2]);
  const axis = normalizeAxis(ctx, intAttr(ctx.attributes, 'axis', -1), x.shape.length);
  const normalized = x.shape.slice(axis);
  for (const param of [scale, ctx.inputs[2]]) {
    if (param === undefined) continue;
    const skip = normalized.length - param.shape.length;
    const ok = skip >= 0 && param.shape.every((d, i) => d === 1 || sameDim(d, normalized[skip + i]!));
    if (!ok) fail(ctx, `"${param.name}" ${formatShape(param.shape)} does not match the normalized dims ${formatShape(normalized)}`);
  }
  if (floatAttr(ctx.attributes, 'epsilon', 1e-5) <= 0) fail(ctx, 'epsilon must be positive');
  // The optional outputs Mean and InvStdDev keep the leading dims and have the stash type (float32 by default).
  const stash = intAttr(ctx.attributes, 'stash_type', 1) === 1 ? 'float32' : x.dtype;
  const statistics: OutputType = { dtype: stash, shape: x.shape.map((d, i) => (i < axis ? d : 1)) };
  return [{ dtype: x.dtype, shape: x.shape }, statistics, statistics];
}

function instanceNormalization(ctx: InferContext): OutputType[] {
  const x = input(ctx, 0);
  if (!isFloat(x.dtype)) fail(ctx, `"${x.name}" must be a float tensor`);
  sameDType(ctx, [0, 1, 2]);
  if (x.shape.length < 3) fail(ctx, `"${x.name}" ${formatShape(x.shape)} must be [batch, channels, ...spatial]`);
  for (const param of [input(ctx, 1), input(ctx, 2)]) {
    if (param.shape.length !== 1 || !sameDim(param.shape[0]!, x.shape[1]!)) fail(ctx, `"${param.name}" ${formatShape(param.shape)} must be [${x.shape[1]}]`);
  }
  return [{ dtype: x.dtype, shape: x.shape }];
}

function resize(ctx: InferContext): OutputType[] {
  const x = input(ctx, 0);
  if (ctx.inputs[3] !== undefined) fail(ctx, 'only scales are supported; sizes must be omitted');
  const scales = constantFloats(ctx, 2, 'scales');
  if (scales.length !== x.shape.length) fail(ctx, `scales [${scales.join(', ')}] must have one entry per dim of ${formatShape(x.shape)}`);
  const shape = x.shape.map((d, i) => {
    const s = scales[i]!;
    if (s === 1) return d;
    if (typeof d !== 'number') fail(ctx, `cannot scale symbolic dim "${d}"`);
    return Math.floor(d * s);
  });
  return [{ dtype: x.dtype, shape }];
}

/** Neural-network operators: products, convolution, normalization, resizing. */
export const NN_OPS: Readonly<Record<string, InferFn>> = {
  MatMul: matMul,
  Gemm: gemm,
  Conv: conv,
  LayerNormalization: layerNormalization,
  InstanceNormalization: instanceNormalization,
  Resize: resize,
};
