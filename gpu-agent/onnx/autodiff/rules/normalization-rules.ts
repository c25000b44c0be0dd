import { floatAttr, intAttr } from '../../attributes.ts';
import type { ValueInfo } from '../../ir.ts';
import { axisOf, type GradientEmitter } from '../gradient-emitter.ts';
import { outputGradOf, type GradientContext, type GradientRule } from '../gradient-rule.ts';

/** Statistics recomputed from the forward input, and the input gradient of a normalization over `axes`. */
function normalizeBackward(e: GradientEmitter, x: ValueInfo, axes: readonly number[], epsilon: number, dxhat: (xhat: ValueInfo) => ValueInfo | undefined): { xhat: ValueInfo; dx?: ValueInfo } {
  const centered = e.sub(x, e.reduceMean(x, axes, true));
  const variance = e.reduceMean(e.mul(centered, centered), axes, true);
  const rstd = e.unary('Reciprocal', e.unary('Sqrt', e.add(variance, epsilon)));
  const xhat = e.mul(centered, rstd);
  const d = dxhat(xhat);
  if (d === undefined) return { xhat };
  // dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
  const meanD = e.reduceMean(d, axes, true);
  const meanDX = e.reduceMean(e.mul(d, xhat), axes, true);
  return { xhat, dx: e.mul(rstd, e.sub(e.sub(d, meanD), e.mul(xhat, meanDX))) };
}

/** ONNX stores float attributes as float32; constants derived from them must use the same value. */
function epsilonOf(ctx: GradientContext): number {
  return Math.fround(floatAttr(ctx.node.attributes, 'epsilon', 1e-5));
}

/** float16 statistics are computed in float32, as LayerNormalization's stash type does. */
function widen(e: GradientEmitter, v: ValueInfo): ValueInfo {
  return v.dtype === 'float16' ? e.cast(v, 'float32') : v;
}

function layerNormalization(ctx: GradientContext): readonly (ValueInfo | undefined)[] {
  const e = ctx.emit;
  if (ctx.outputGrad(1) !== undefined || ctx.outputGrad(2) !== undefined) ctx.fail('gradients through the Mean and InvStdDev outputs are not supported');
  const x = ctx.input(0);
  const scale = ctx.input(1);
  const bias = ctx.optionalInput(2);
  const rank = x.shape.length;
  const axis = axisOf(intAttr(ctx.node.attributes, 'axis', -1), rank);
  const axes = Array.from({ length: rank - axis }, (_, i) => axis + i);
  const g = widen(e, outputGradOf(ctx));
  const wideScale = widen(e, scale);
  const { xhat, dx } = normalizeBackward(e, widen(e, x), axes, epsilonOf(ctx), () => (ctx.needsGrad(0) ? e.mul(g, wideScale) : undefined));
  return [
    dx === undefined ? undefined : e.cast(dx, x.dtype),
    ctx.needsGrad(1) ? e.cast(e.unbroadcast(e.mul(g, xhat), scale.shape), scale.dtype) : undefined,
    ctx.needsGrad(2) && bias !== undefined ? e.cast(e.unbroadcast(g, bias.shape), bias.dtype) : undefined,
  ];
}

/** InstanceNormalization: per (sample, channel) statistics over the spatial axes; scale and bias are per channel. */
function instanceNormalization(ctx: GradientContext): readonly (ValueInfo | undefined)[] {
  const e = ctx.emit;
  const x = ctx.input(0);
  const scale = ctx.input(1);
  const rank = x.shape.length;
  const spatial = Array.from({ length: rank - 2 }, (_, i) => i + 2);
  const g = widen(e, outputGradOf(ctx));
  const channelScale = () => e.reshapeTo(widen(e, scale), [scale.shape[0]!, ...spatial.map(() => 1)]);
  const { xhat, dx } = normalizeBackward(e, widen(e, x), spatial, epsilonOf(ctx), () => (ctx.needsGrad(0) ? e.mul(g, channelScale()) : undefined));
  const perChannel = [0, ...spatial];
  return [
    dx === undefined ? undefined : e.cast(dx, x.dtype),
    ctx.needsGrad(1) ? e.cast(e.reduceSum(e.mul(g, xhat), perChannel, false), scale.dtype) : undefined,
    ctx.needsGrad(2) ? e.cast(e.reduceSum(g, perChannel, false), scale.dtype) : undefined,
  ];
}

/** Softmax (opset 13, one axis): `dx = y * (g - sum(g * y, axis))`. */
function softmax(ctx: GradientContext): readonly (ValueInfo | undefined)[] {
  const e = ctx.emit;
  const y = ctx.output(0);
  const g = outputGradOf(ctx);
  const axis = axisOf(intAttr(ctx.node.attributes, 'axis', -1), y.shape.length);
  return [e.mul(y, e.sub(g, e.reduceSum(e.mul(g, y), [axis], true)))];
}

/** Softmax, LayerNormalization, InstanceNormalization. GroupNorm is covered through its decompositions (see the README of this folder). */
export const NORMALIZATION_RULES: Readonly<Record<string, GradientRule>> = {
  Softmax: softmax,
  LayerNormalization: layerNormalization,
  InstanceNormalization: instanceNormalization,
};
