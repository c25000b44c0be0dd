import { describe, it } from 'vitest';
import { expectGradients, opGraph, type Tolerance } from './testing/op-check.ts';

/** float32 finite differences (Richardson, step 2^-6) for ops onnxruntime's CPU provider lacks in float64. */
const FLOAT32: Tolerance = { atol: 2e-3, rtol: 2e-3 };

describe('elementwise gradients (float64 unless noted, central differences)', () => {
  it('Add, Sub, Mul, Div with broadcasting (leading, inner and scalar operands)', async () => {
    const inputs = { a: { dims: [2, 3, 4] }, b: { dims: [3, 1] }, c: { dims: [4] }, d: { dims: [1, 1, 4], low: 0.5, high: 2 } };
    await expectGradients(opGraph('float64', inputs, (b, v) => b.div(b.mul(b.sub(b.add(v.a!, v.b!), v.c!), v.a!), v.d!)));
    await expectGradients(opGraph('float64', { a: { dims: [3] }, s: { dims: [], low: 0.5, high: 2 } }, (b, v) => b.div(v.s!, b.sub(b.mul(v.a!, v.a!), -1))));
  });

  it('Pow with constant exponents and with a tensor exponent', async () => {
    const x = { dims: [2, 3], low: 0.5, high: 2 };
    await expectGradients(opGraph('float64', { x }, (b, v) => b.add(b.add(b.pow(v.x!, 2), b.pow(v.x!, 3)), b.pow(v.x!, -0.5))));
    await expectGradients(opGraph('float64', { x, e: { dims: [3], low: -1, high: 2 } }, (b, v) => b.pow(v.x!, v.e!)));
  });

  it('Sqrt, Exp, Log, Reciprocal, Tanh, Sigmoid, Sin, Cos, Neg, Abs, Identity', async () => {
    const positive = { dims: [2, 5], low: 0.3, high: 3 };
    await expectGradients(opGraph('float64', { x: positive }, (b, v) => b.add(b.add(b.sqrt(v.x!), b.log(v.x!)), b.reciprocal(v.x!))));
    const x = { dims: [2, 5], low: -2, high: 2 };
    await expectGradients(opGraph('float64', { x }, (b, v) => b.add(b.add(b.exp(v.x!), b.tanh(v.x!)), b.sigmoid(v.x!))));
    await expectGradients(opGraph('float64', { x }, (b, v) => b.add(b.mul(b.sin(v.x!), b.cos(v.x!)), b.neg(b.identity(v.x!)))));
    const awayFromZero = { dims: [6], values: [-1.5, -0.7, -0.2, 0.3, 0.9, 1.7] };
    await expectGradients(opGraph('float64', { x: awayFromZero }, (b, v) => b.mul(b.abs(v.x!), v.x!)));
  });

  it('Relu away from its kink', async () => {
    await expectGradients(opGraph('float64', { x: { dims: [6], values: [-1.5, -0.7, -0.2, 0.3, 0.9, 1.7] } }, (b, v) => b.mul(b.relu(v.x!), v.x!)));
  });

  it('Erf (float32: the CPU provider has no float64 Erf), and GELU built from it', async () => {
    await expectGradients(opGraph('float32', { x: { dims: [2, 4], low: -2, high: 2 } }, (b, v) => b.erf(v.x!)), FLOAT32);
    const gelu = opGraph('float32', { x: { dims: [2, 4], low: -2, high: 2 } }, (b, v) => b.mul(b.mul(v.x!, 0.5), b.add(b.erf(b.mul(v.x!, Math.SQRT1_2)), 1)));
    await expectGradients(gelu, FLOAT32);
  });

  it('Where sends the gradient to the chosen branch; Cast passes it through in the other dtype', async () => {
    const inputs = { a: { dims: [2, 3] }, b: { dims: [3] }, c: { dims: [2, 1] } };
    await expectGradients(opGraph('float64', inputs, (b, v) => b.where(b.less(v.a!, v.c!), v.a!, v.b!)));
    await expectGradients(opGraph('float64', { x: { dims: [4] } }, (b, v) => b.cast(b.mul(b.cast(v.x!, 'float32'), 3), 'float64')), { atol: 1e-4, rtol: 1e-4 });
  });

  it('Sum of several broadcast inputs', async () => {
    const inputs = { a: { dims: [2, 3] }, b: { dims: [3] }, c: { dims: [2, 1] } };
    await expectGradients(opGraph('float64', inputs, (b, v) => b.node('Sum', [v.a!, b.mul(v.b!, v.b!), v.c!])[0]!));
  });
});
