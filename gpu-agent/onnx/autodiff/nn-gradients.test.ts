import { describe, it } from 'vitest';
import { attr } from '../attributes.ts';
import { expectGradients, opGraph, type Tolerance } from './testing/op-check.ts';

/**
 * Conv has no float64 CPU kernel. The loss is linear in each of x, w and b separately, so
 * float32 central differences with a large step are exact up to float32 rounding.
 */
const CONV: Tolerance = { atol: 2e-4, rtol: 2e-4 };
const LINEAR_STEP = { step: 0.5 };
/** InstanceNormalization has no float64 CPU kernel: float32 differences, step 2^-6, Richardson. */
const FLOAT32: Tolerance = { atol: 3e-3, rtol: 3e-3 };

describe('products and convolution', () => {
  it('MatMul: batched with broadcasting, a weight matrix, 1-D operands', async () => {
    await expectGradients(opGraph('float64', { a: { dims: [2, 1, 3, 4] }, b: { dims: [3, 4, 2] } }, (b, v) => b.matMul(v.a!, v.b!)));
    await expectGradients(opGraph('float64', { x: { dims: [2, 3, 4], shape: ['batch', 3, 4] }, w: { dims: [4, 5] } }, (b, v) => b.matMul(v.x!, v.w!)));
    await expectGradients(opGraph('float64', { x: { dims: [2, 3, 4] }, w: { dims: [4, 5] } }, (b, v) => b.matMul(v.x!, v.w!)));
    await expectGradients(opGraph('float64', { v: { dims: [4] }, m: { dims: [2, 4, 3] } }, (b, v) => b.matMul(v.v!, v.m!)));
    await expectGradients(opGraph('float64', { m: { dims: [3, 4] }, v: { dims: [4] } }, (b, v) => b.matMul(v.m!, v.v!)));
    await expectGradients(opGraph('float64', { u: { dims: [4] }, v: { dims: [4] } }, (b, v) => b.matMul(v.u!, v.v!)));
  });

  it('Gemm with every transA/transB, alpha, beta and a broadcast C', async () => {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const inputs = { a: { dims: transA ? [4, 3] : [3, 4] }, b: { dims: transB ? [5, 4] : [4, 5] }, c: { dims: [5] } };
      await expectGradients(opGraph('float64', inputs, (b, v) => b.gemm(v.a!, v.b!, v.c!, { transA, transB, alpha: 0.7, beta: -1.3 })));
    }
    await expectGradients(opGraph('float64', { a: { dims: [3, 4] }, b: { dims: [4, 2] }, c: { dims: [3, 1] } }, (b, v) => b.gemm(v.a!, v.b!, v.c!)));
  });

  it('Conv 2-D: pads, bias, symbolic batch (float32)', async () => {
    const inputs = { x: { dims: [2, 3, 5, 6], shape: ['batch', 3, 5, 6] }, w: { dims: [4, 3, 3, 3] }, bias: { dims: [4] } };
    await expectGradients(opGraph('float32', inputs, (b, v) => b.conv(v.x!, v.w!, v.bias!, { pads: [1, 1, 1, 1] })), CONV, LINEAR_STEP);
  });

  it('Conv 2-D: strides that leave rows over, asymmetric pads, dilations (float32)', async () => {
    const inputs = { x: { dims: [2, 2, 8, 7] }, w: { dims: [3, 2, 3, 2] } };
    await expectGradients(opGraph('float32', inputs, (b, v) => b.conv(v.x!, v.w!, undefined, { strides: [2, 3], pads: [0, 1, 1, 0] })), CONV, LINEAR_STEP);
    await expectGradients(opGraph('float32', inputs, (b, v) => b.conv(v.x!, v.w!, undefined, { dilations: [2, 2], pads: [2, 0, 1, 1], strides: [1, 2] })), CONV, LINEAR_STEP);
  });

  it('Conv 2-D: pads wider than the kernel (negative gradient pads become a crop) (float32)', async () => {
    const inputs = { x: { dims: [1, 1, 4, 4] }, w: { dims: [2, 1, 2, 2] } };
    await expectGradients(opGraph('float32', inputs, (b, v) => b.conv(v.x!, v.w!, undefined, { pads: [3, 2, 2, 3], strides: [2, 1] })), CONV, LINEAR_STEP);
  });

  it('Conv with groups, static and symbolic batch, and depthwise (float32)', async () => {
    const grouped = { x: { dims: [2, 4, 5, 5] }, w: { dims: [6, 2, 3, 3] }, bias: { dims: [6] } };
    await expectGradients(opGraph('float32', grouped, (b, v) => b.conv(v.x!, v.w!, v.bias!, { group: 2, pads: [1, 1, 1, 1], strides: [2, 2] })), CONV, LINEAR_STEP);
    const symbolic = { x: { dims: [2, 4, 5, 5], shape: ['batch', 4, 5, 5] }, w: { dims: [4, 2, 3, 3] } };
    await expectGradients(opGraph('float32', symbolic, (b, v) => b.conv(v.x!, v.w!, undefined, { group: 2 })), CONV, LINEAR_STEP);
    const depthwise = { x: { dims: [1, 3, 4, 4] }, w: { dims: [3, 1, 3, 3] } };
    await expectGradients(opGraph('float32', depthwise, (b, v) => b.conv(v.x!, v.w!, undefined, { group: 3, pads: [1, 1, 1, 1] })), CONV, LINEAR_STEP);
  });

  it('Conv 1-D and 3-D (float32)', async () => {
    const inputs = { x: { dims: [2, 2, 9] }, w: { dims: [3, 2, 4] }, bias: { dims: [3] } };
    await expectGradients(opGraph('float32', inputs, (b, v) => b.conv(v.x!, v.w!, v.bias!, { strides: [2], pads: [1, 2] })), CONV, LINEAR_STEP);
    const volume = { x: { dims: [1, 2, 4, 3, 5] }, w: { dims: [2, 2, 2, 3, 2] } };
    await expectGradients(opGraph('float32', volume, (b, v) => b.conv(v.x!, v.w!, undefined, { strides: [2, 1, 2], pads: [1, 1, 0, 0, 1, 1] })), CONV, LINEAR_STEP);
  });
});

describe('normalization and reductions', () => {
  it('Softmax along an inner and the last axis', async () => {
    await expectGradients(opGraph('float64', { x: { dims: [2, 3, 4], low: -2, high: 2 } }, (b, v) => b.softmax(v.x!, 1)));
    await expectGradients(opGraph('float64', { x: { dims: [2, 5], shape: ['batch', 5], low: -2, high: 2 } }, (b, v) => b.softmax(v.x!, -1)));
  });

  it('LayerNormalization over the last dim and over the last two, with and without bias', async () => {
    const inputs = { x: { dims: [2, 3, 4], shape: ['batch', 3, 4], low: -2, high: 2 }, scale: { dims: [4], low: 0.5, high: 1.5 }, bias: { dims: [4] } };
    await expectGradients(opGraph('float64', inputs, (b, v) => b.layerNormalization(v.x!, v.scale!, v.bias!, { epsilon: 1e-3 })));
    const wide = { x: { dims: [2, 3, 4], low: -2, high: 2 }, scale: { dims: [3, 4], low: 0.5, high: 1.5 } };
    await expectGradients(opGraph('float64', wide, (b, v) => b.layerNormalization(v.x!, v.scale!, undefined, { axis: 1 })));
  });

  it('InstanceNormalization (float32), as torch exports GroupNorm', async () => {
    const inputs = { x: { dims: [2, 3, 4, 2], low: -2, high: 2 }, scale: { dims: [3], low: 0.5, high: 1.5 }, bias: { dims: [3] } };
    await expectGradients(opGraph('float32', inputs, (b, v) => b.node('InstanceNormalization', [v.x!, v.scale!, v.bias!], { epsilon: attr.float(1e-2) })[0]!), FLOAT32);
  });

  it('ReduceMean and ReduceSum: axes attribute or input, keepdims, all axes, symbolic dims reduced', async () => {
    const x = { dims: [2, 3, 4], shape: ['batch', 3, 4] };
    await expectGradients(opGraph('float64', { x }, (b, v) => b.reduceMean(b.mul(v.x!, v.x!), [1, -1], false)));
    await expectGradients(opGraph('float64', { x }, (b, v) => b.reduceSum(b.mul(v.x!, v.x!), [2], true)));
    await expectGradients(opGraph('float64', { x }, (b, v) => b.reduceMean(b.mul(v.x!, v.x!), [0, 1, 2], false)));
    await expectGradients(opGraph('float64', { x }, (b, v) => b.node('ReduceSum', [b.exp(v.x!)], { keepdims: attr.int(0) })[0]!));
    await expectGradients(opGraph('float64', { x }, (b, v) => b.node('ReduceMean', [b.sin(v.x!)], { axes: attr.ints([0]) })[0]!));
  });
});
