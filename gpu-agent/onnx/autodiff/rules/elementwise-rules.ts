import { isFloat } from '../../dtype.ts';
import type { ValueInfo } from '../../ir.ts';
import type { GradientEmitter } from '../gradient-emitter.ts';
import { outputGradOf, type GradientContext, type GradientRule } from '../gradient-rule.ts';

/** `dx = g * f(x, y)` for a one-input op, where `y` is the forward output. */
function unaryRule(derivative: (e: GradientEmitter, g: ValueInfo, x: ValueInfo, y: ValueInfo) => ValueInfo): GradientRule {
  return (ctx) => [derivative(ctx.emit, outputGradOf(ctx), ctx.input(0), ctx.output(0))];
}

/** Gradients of a binary broadcasting op: each side's partial, summed back to that side's shape. */
function binaryRule(partials: (e: GradientEmitter, g: ValueInfo, a: ValueInfo, b: ValueInfo, y: ValueInfo) => [() => ValueInfo, () => ValueInfo]): GradientRule {
  return (ctx) => {
    const [a, b] = [ctx.input(0), ctx.input(1)];
    const [da, db] = partials(ctx.emit, outputGradOf(ctx), a, b, ctx.output(0));
    return [ctx.needsGrad(0) ? ctx.emit.unbroadcast(da(), a.shape) : undefined, ctx.needsGrad(1) ? ctx.emit.unbroadcast(db(), b.shape) : undefined];
  };
}

/** The exponent as a constant number when it is a constant scalar. */
function constantScalar(ctx: GradientContext, index: number): number | undefined {
  const data = ctx.emit.constantData(ctx.node.inputs[index] ?? '');
  return data !== undefined && data.length === 1 ? Number(data[0]) : undefined;
}

/** `y = a^b`: `da = g b a^(b-1)`, `db = g y ln a`. A constant exponent gets its `b - 1` folded. */
function pow(ctx: GradientContext): readonly (ValueInfo | undefined)[] {
  const e = ctx.emit;
  const g = outputGradOf(ctx);
  const [a, b] = [ctx.input(0), ctx.input(1)];
  const y = ctx.output(0);
  const exponent = e.cast(b, a.dtype);
  let da: ValueInfo | undefined;
  if (ctx.needsGrad(0)) {
    const k = constantScalar(ctx, 1);
    let slope: ValueInfo;
    if (k === 2) slope = e.mul(a, 2);
    else if (k === 1) slope = e.scalar(1, a);
    else if (k !== undefined) slope = e.mul(e.one('Pow', [a, e.scalar(k - 1, a)]), k);
    else slope = e.mul(e.one('Pow', [a, e.sub(exponent, 1)]), exponent);
    da = e.unbroadcast(e.mul(g, slope), a.shape);
  }
  const db = ctx.needsGrad(1) ? e.unbroadcast(e.mul(e.mul(g, y), e.unary('Log', a)), b.shape) : undefined;
  return [da, db];
}

function cast(ctx: GradientContext): readonly (ValueInfo | undefined)[] {
  const x = ctx.input(0);
  return [isFloat(x.dtype) ? ctx.emit.cast(outputGradOf(ctx), x.dtype) : undefined];
}

function where(ctx: GradientContext): readonly (ValueInfo | undefined)[] {
  const e = ctx.emit;
  const g = outputGradOf(ctx);
  const condition = ctx.input(0);
  return [
    undefined,
    ctx.needsGrad(1) ? e.unbroadcast(e.where(condition, g, 0), ctx.input(1).shape) : undefined,
    ctx.needsGrad(2) ? e.unbroadcast(e.where(condition, 0, g), ctx.input(2).shape) : undefined,
  ];
}

function sum(ctx: GradientContext): readonly (ValueInfo | undefined)[] {
  const g = outputGradOf(ctx);
  return ctx.node.inputs.map((_, i) => (ctx.needsGrad(i) ? ctx.emit.unbroadcast(g, ctx.input(i).shape) : undefined));
}

/** Arithmetic and elementwise functions. Derivatives reuse the forward output where that is cheaper (Exp, Sqrt, Tanh, Sigmoid, Reciprocal). */
export const ELEMENTWISE_RULES: Readonly<Record<string, GradientRule>> = {
  Add: binaryRule((_e, g) => [() => g, () => g]),
  Sub: binaryRule((e, g) => [() => g, () => e.neg(g)]),
  Mul: binaryRule((e, g, a, b) => [() => e.mul(g, b), () => e.mul(g, a)]),
  Div: binaryRule((e, g, _a, b, y) => [() => e.div(g, b), () => e.neg(e.div(e.mul(g, y), b))]),
  Pow: pow,
  Sum: sum,
  Where: where,
  Cast: cast,
  Identity: unaryRule((_e, g) => g),
  Neg: unaryRule((e, g) => e.neg(g)),
  Sqrt: unaryRule((e, g, _x, y) => e.div(e.mul(g, 0.5), y)),
  Exp: unaryRule((e, g, _x, y) => e.mul(g, y)),
  Log: unaryRule((e, g, x) => e.div(g, x)),
  Reciprocal: unaryRule((e, g, _x, y) => e.neg(e.mul(g, e.mul(y, y)))),
  Tanh: unaryRule((e, g, _x, y) => e.mul(g, e.sub(1, e.mul(y, y)))),
  Sigmoid: unaryRule((e, g, _x, y) => e.mul(g, e.mul(y, e.sub(1, y)))),
  Relu: unaryRule((e, g, x) => e.where(e.one('Greater', [x, e.scalar(0, x)]), g, 0)),
  Abs: unaryRule((e, g, x) => e.mul(g, e.unary('Sign', x))),
  Sin: unaryRule((e, g, x) => e.mul(g, e.unary('Cos', x))),
  Cos: unaryRule((e, g, x) => e.neg(e.mul(g, e.unary('Sin', x)))),
  // d/dx erf(x) = 2 / sqrt(pi) * exp(-x^2)
  Erf: unaryRule((e, g, x) => e.mul(g, e.mul(e.unary('Exp', e.neg(e.mul(x, x))), 2 / Math.sqrt(Math.PI)))),
};
