import { intAttr, intsAttr } from '../../attributes.ts';
import type { ValueInfo } from '../../ir.ts';
import { axisOf, staticDims } from '../gradient-emitter.ts';
import { outputGradOf, type GradientContext, type GradientRule } from '../gradient-rule.ts';

/** The reduced axes, sorted; `undefined` when the op is a no-op (empty axes with `noop_with_empty_axes`). */
function reducedAxes(ctx: GradientContext): number[] | undefined {
  const rank = ctx.input(0).shape.length;
  const fromInput = ctx.optionalInput(1) === undefined ? undefined : (ctx.emit.knownInts(ctx.node.inputs[1]!) ?? ctx.fail('axes must be known at build time'));
  const axes = fromInput ?? intsAttr(ctx.node.attributes, 'axes') ?? [];
  if (axes.length === 0) {
    if (intAttr(ctx.node.attributes, 'noop_with_empty_axes', 0) === 1) return undefined;
    return Array.from({ length: rank }, (_, i) => i);
  }
  return [...new Set(axes.map((a) => axisOf(a, rank)))].sort((a, b) => a - b);
}

/** ReduceSum / ReduceMean: broadcast the gradient back over the reduced axes (scaled by 1/count for the mean). */
function reduceRule(mean: boolean): GradientRule {
  return (ctx) => {
    const e = ctx.emit;
    const x = ctx.input(0);
    let g = outputGradOf(ctx);
    const axes = reducedAxes(ctx);
    if (axes === undefined) return [g];
    if (mean) {
      const count = staticDims(axes.map((a) => x.shape[a]!));
      if (count !== undefined) {
        g = e.mul(g, 1 / count.reduce((a, b) => a * b, 1));
      } else {
        const ratio = e.div(e.one('Size', [x]), e.one('Size', [ctx.output(0)]));
        g = e.div(g, e.cast(ratio, g.dtype));
      }
    }
    if (intAttr(ctx.node.attributes, 'keepdims', 1) === 0) g = e.unsqueeze(g, axes);
    return [e.expandTo(g, x)];
  };
}

/** Reductions: ReduceSum (axes input or attribute), ReduceMean; keepdims and noop_with_empty_axes honoured. */
export const REDUCE_RULES: Readonly<Record<string, GradientRule>> = {
  ReduceSum: reduceRule(false),
  ReduceMean: reduceRule(true),
};
