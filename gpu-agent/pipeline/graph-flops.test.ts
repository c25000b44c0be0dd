import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../onnx/graph-builder.ts';
import { countGraphFlops } from './graph-flops.ts';

describe('countGraphFlops', () => {
  it('counts 2 x multiply-adds of MatMul and Conv for concrete input shapes', () => {
    const b = new GraphBuilder('flops');
    const x = b.input('x', 'float32', ['batch', 2, 5, 5]);
    const weight = b.initializer('w', 'float32', [3, 2, 3, 3], new Float32Array(54));
    const conv = b.conv(x, weight, undefined, { pads: [1, 1, 1, 1] });
    const m = b.input('m', 'float32', ['rows', 3]);
    const k = b.initializer('k', 'float32', [3, 4], new Float32Array(12));
    b.output(conv, 'y');
    b.output(b.matMul(m, k), 'z');
    const flops = countGraphFlops(b.build(), { x: [2, 2, 5, 5], m: [10, 3] });
    // Conv: 2 * (2*3*5*5 outputs) * (2*3*3); MatMul: 2 * (10*4 outputs) * 3.
    expect(flops.byOp).toEqual({ Conv: 2 * 150 * 18, MatMul: 2 * 40 * 3 });
    expect(flops.total).toBe(5400 + 240);
    expect(() => countGraphFlops(b.build(), { x: [1, 2, 5, 5] })).toThrow(/no shape given for graph input "m"/);
  });
});
