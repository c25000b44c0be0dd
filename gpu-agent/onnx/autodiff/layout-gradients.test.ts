import { describe, it } from 'vitest';
import { attr } from '../attributes.ts';
import { expectGradients, opGraph, type Tolerance } from './testing/op-check.ts';

/** Resize has no float64 CPU kernel; it is linear in its input, so float32 differences are nearly exact. */
const FLOAT32_LINEAR: Tolerance = { atol: 1e-4, rtol: 1e-4 };

describe('layout and selection gradients (float64 unless noted)', () => {
  it('Reshape, Transpose, Unsqueeze, Squeeze with a symbolic batch dim', async () => {
    const x = { dims: [2, 3, 4], shape: ['batch', 3, 4] };
    await expectGradients(opGraph('float64', { x }, (b, v) => b.transpose(b.reshape(b.mul(v.x!, v.x!), ['batch', 2, 6]), [2, 0, 1])));
    await expectGradients(opGraph('float64', { x }, (b, v) => b.squeeze(b.unsqueeze(b.sin(v.x!), [1, 4]), [4])));
  });

  it('Expand and Tile sum over the copies', async () => {
    await expectGradients(opGraph('float64', { x: { dims: [3, 1] } }, (b, v) => b.expand(v.x!, [2, 3, 4])));
    await expectGradients(opGraph('float64', { x: { dims: [2, 3] } }, (b, v) => b.node('Tile', [v.x!, b.ints([3, 2])])[0]!));
  });

  it('Concat and Split (including a split output that no gradient reaches)', async () => {
    const inputs = { a: { dims: [2, 3] }, b: { dims: [2, 1] }, c: { dims: [2, 2] } };
    await expectGradients(opGraph('float64', inputs, (b, v) => b.concat([v.a!, b.mul(v.b!, v.b!), v.c!], 1)));
    await expectGradients(
      opGraph('float64', { x: { dims: [2, 7] } }, (b, v) => {
        const [first, , third] = b.node('Split', [v.x!, b.ints([2, 3, 2])], { axis: attr.int(1) }, 3);
        return b.mul(first!, third!);
      }),
    );
  });

  it('Slice with starts, negative ends, steps of 2 and -1, and a symbolic axis left whole', async () => {
    const x = { dims: [2, 7, 6], shape: ['batch', 7, 6] };
    await expectGradients(opGraph('float64', { x }, (b, v) => b.slice(v.x!, { starts: [1, -1], ends: [-1, 0], axes: [1, 2], steps: [2, -2] })));
    await expectGradients(opGraph('float64', { x }, (b, v) => b.slice(v.x!, { starts: [6, 0], ends: [-100, 100], axes: [1, 2], steps: [-3, 1] })));
    await expectGradients(opGraph('float64', { x }, (b, v) => b.slice(v.x!, { starts: [2], ends: [5], axes: [-1] })));
  });

  it('Gather: an embedding lookup with repeated ids accumulates; other axes and negative indices', async () => {
    const table = { dims: [5, 3] };
    const ids = { dims: [2, 3], dtype: 'int64' as const, values: [1, 4, 1, 0, 1, 4] };
    await expectGradients(opGraph('float64', { table, ids }, (b, v) => b.gather(v.table!, v.ids!, 0)));
    const negative = { dims: [3], dtype: 'int32' as const, values: [-1, 0, -1] };
    await expectGradients(opGraph('float64', { x: { dims: [2, 4, 3] }, ids: negative }, (b, v) => b.gather(v.x!, v.ids!, 1)));
    const scalar = { dims: [], dtype: 'int64' as const, values: [2] };
    await expectGradients(opGraph('float64', { x: { dims: [2, 4] }, ids: scalar }, (b, v) => b.gather(v.x!, v.ids!, 1)));
  });

  it('GatherElements scatters back with accumulation', async () => {
    const ids = { dims: [2, 2], dtype: 'int64' as const, values: [0, 2, 2, 2] };
    await expectGradients(opGraph('float64', { x: { dims: [2, 3] }, ids }, (b, v) => b.gatherElements(v.x!, v.ids!, 1)));
  });

  it('Resize nearest by integer scales (float32)', async () => {
    const x = { dims: [1, 2, 3, 2], shape: ['batch', 2, 3, 2] };
    await expectGradients(opGraph('float32', { x }, (b, v) => b.resizeNearest(v.x!, [1, 1, 2, 3])), FLOAT32_LINEAR, { step: 0.5 });
    const halfPixel = opGraph('float32', { x: { dims: [1, 1, 2, 2] } }, (b, v) =>
      b.node('Resize', [v.x!, undefined, b.constant('float32', [4], [1, 1, 3, 2])], { mode: attr.string('nearest') })[0]!,
    );
    await expectGradients(halfPixel, FLOAT32_LINEAR, { step: 0.5 });
  });
});
