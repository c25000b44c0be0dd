import { intAttr } from '../attributes.ts';
import type { DType, Dim } from '../ir.ts';
import { constantInts, fail, input, shapeInput, type InferContext, type InferFn, type OutputType } from './infer-context.ts';

function scalarOf(ctx: InferContext, index: number, what: string): number {
  const values = constantInts(ctx, index, what);
  if (values.length !== 1) fail(ctx, `${what} must be a scalar, got ${values.length} values`);
  return values[0]!;
}

function constantOfShape(ctx: InferContext): OutputType[] {
  const dims = shapeInput(ctx, 0, 'the shape');
  for (const d of dims) if (typeof d === 'number' && d < 0) fail(ctx, `shape [${dims.join(', ')}] has a negative dim`);
  const value = ctx.attributes['value'];
  if (value !== undefined && value.type !== 'tensor') fail(ctx, 'attribute "value" must be a tensor');
  const dtype: DType = value?.type === 'tensor' ? value.value.dtype : 'float32';
  return [{ dtype, shape: dims }];
}

function range(ctx: InferContext): OutputType[] {
  const start = input(ctx, 0);
  const dtype = start.dtype;
  const [first, limit, delta] = [scalarOf(ctx, 0, 'start'), scalarOf(ctx, 1, 'limit'), scalarOf(ctx, 2, 'delta')];
  if (delta === 0) fail(ctx, 'delta must not be 0');
  return [{ dtype, shape: [Math.max(Math.ceil((limit - first) / delta), 0)] }];
}

/**
 * Operators that compute with shapes rather than data: `Shape`, `Size`, `ConstantOfShape`,
 * `Range`. `Range` needs constant (or folded) bounds; `ConstantOfShape` accepts a shape computed
 * by `Shape`, so its output may keep symbolic dims.
 */
export const SHAPE_OF_OPS: Readonly<Record<string, InferFn>> = {
  Shape: (ctx) => {
    const rank = input(ctx, 0).shape.length;
    const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
    const start = clamp(intAttr(ctx.attributes, 'start', 0));
    const end = clamp(intAttr(ctx.attributes, 'end', rank));
    return [{ dtype: 'int64', shape: [Math.max(end - start, 0)] }];
  },
  Size: (ctx) => {
    input(ctx, 0);
    return [{ dtype: 'int64', shape: [] as Dim[] }];
  },
  ConstantOfShape: constantOfShape,
  Range: range,
};
