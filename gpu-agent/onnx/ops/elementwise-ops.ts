import { intAttr } from '../attributes.ts';
import { dtypeFromCode, isFloat } from '../dtype.ts';
import type { DType } from '../ir.ts';
import { broadcastShapes, fail, input, normalizeAxis, sameDType, type InferContext, type InferFn, type OutputType } from './infer-context.ts';

const NUMERIC: readonly DType[] = ['float32', 'float64', 'float16', 'int32', 'int64'];

function binary(allowed: readonly DType[]): InferFn {
  return (ctx) => {
    const dtype = sameDType(ctx, [0, 1]);
    if (!allowed.includes(dtype)) fail(ctx, `element type ${dtype} is not supported (allowed: ${allowed.join(', ')})`);
    return [{ dtype, shape: broadcastShapes(ctx, [input(ctx, 0).shape, input(ctx, 1).shape]) }];
  };
}

function unary(allowed: readonly DType[]): InferFn {
  return (ctx) => {
    const x = input(ctx, 0);
    if (!allowed.includes(x.dtype)) fail(ctx, `element type ${x.dtype} of "${x.name}" is not supported (allowed: ${allowed.join(', ')})`);
    return [{ dtype: x.dtype, shape: x.shape }];
  };
}

function floatUnary(ctx: InferContext): OutputType[] {
  const x = input(ctx, 0);
  if (!isFloat(x.dtype)) fail(ctx, `"${x.name}" must be a float tensor, got ${x.dtype}`);
  return [{ dtype: x.dtype, shape: x.shape }];
}

function compare(ctx: InferContext): OutputType[] {
  sameDType(ctx, [0, 1]);
  return [{ dtype: 'bool', shape: broadcastShapes(ctx, [input(ctx, 0).shape, input(ctx, 1).shape]) }];
}

/** Elementwise operators: arithmetic with numpy broadcasting, float functions, comparisons, Where, Cast, Softmax. */
export const ELEMENTWISE_OPS: Readonly<Record<string, InferFn>> = {
  Add: binary(NUMERIC),
  Sub: binary(NUMERIC),
  Mul: binary(NUMERIC),
  Div: binary(NUMERIC),
  Pow: (ctx) => {
    const base = input(ctx, 0);
    const exponent = input(ctx, 1);
    if (!isFloat(base.dtype)) fail(ctx, `base "${base.name}" must be a float tensor, got ${base.dtype}`);
    return [{ dtype: base.dtype, shape: broadcastShapes(ctx, [base.shape, exponent.shape]) }];
  },
  Sqrt: floatUnary,
  Reciprocal: floatUnary,
  Exp: floatUnary,
  Log: floatUnary,
  Sigmoid: floatUnary,
  Tanh: floatUnary,
  Erf: floatUnary,
  Sin: floatUnary,
  Cos: floatUnary,
  Neg: unary(['float32', 'float64', 'float16', 'int32', 'int64']),
  Abs: unary(NUMERIC),
  Sign: unary(NUMERIC),
  Sum: (ctx) => {
    if (ctx.inputs.length === 0) fail(ctx, 'needs at least one input');
    const indices = ctx.inputs.map((_, i) => i);
    const dtype = sameDType(ctx, indices);
    return [{ dtype, shape: broadcastShapes(ctx, indices.map((i) => input(ctx, i).shape)) }];
  },
  Relu: floatUnary,
  Identity: (ctx) => [{ dtype: input(ctx, 0).dtype, shape: input(ctx, 0).shape }],
  Equal: compare,
  Less: compare,
  Greater: compare,
  Where: (ctx) => {
    const condition = input(ctx, 0);
    if (condition.dtype !== 'bool') fail(ctx, `condition "${condition.name}" must be bool, got ${condition.dtype}`);
    const dtype = sameDType(ctx, [1, 2]);
    return [{ dtype, shape: broadcastShapes(ctx, [condition.shape, input(ctx, 1).shape, input(ctx, 2).shape]) }];
  },
  Cast: (ctx) => {
    const to = intAttr(ctx.attributes, 'to', 0);
    let dtype: DType;
    try {
      dtype = dtypeFromCode(to);
    } catch (error) {
      fail(ctx, (error as Error).message);
    }
    return [{ dtype, shape: input(ctx, 0).shape }];
  },
  Softmax: (ctx) => {
    const [out] = floatUnary(ctx);
    normalizeAxis(ctx, intAttr(ctx.attributes, 'axis', -1), out!.shape.length);
    return [out!];
  },
};
