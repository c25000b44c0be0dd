import { describe, expect, it } from 'vitest';
import { seededRandom } from '../tiny-model/seeded-random.ts';
import { GraphBuilder, type Value } from './graph-builder.ts';
import type { HostTensor } from './runtime.ts';
import { runModel } from './testing/run-model.ts';
import * as ref from './testing/reference-ops.ts';

function random(shape: number[], seed: number, transform: (v: number) => number = (v) => v): ref.Nd {
  const rng = seededRandom(seed, 'graph-builder-test');
  return ref.fromFn(shape, () => transform(rng.normal()));
}

function host(x: ref.Nd, dtype: 'float32' | 'int32' | 'int64' = 'float32'): HostTensor {
  if (dtype === 'int64') return { dtype, dims: x.shape, data: BigInt64Array.from(x.data, (v) => BigInt(v)) };
  return { dtype, dims: x.shape, data: dtype === 'int32' ? Int32Array.from(x.data) : Float32Array.from(x.data) };
}

function expectClose(actual: HostTensor | undefined, expected: ref.Nd, tolerance = 1e-5): void {
  expect(actual).toBeDefined();
  expect([...actual!.dims]).toEqual(expected.shape);
  const values = Array.from(actual!.data as ArrayLike<number | bigint>, Number);
  values.forEach((v, i) => {
    const e = expected.data[i]!;
    if (Math.abs(v - e) > tolerance * Math.max(1, Math.abs(e))) throw new Error(`element ${i}: got ${v}, expected ${e}`);
  });
}

/** Builds a graph with `build`, marks each returned value as an output named by its key, and runs it. */
async function run(
  inputs: Record<string, { x: ref.Nd; dtype?: 'float32' | 'int32' | 'int64'; shape?: (number | string)[] }>,
  build: (b: GraphBuilder, v: Record<string, Value>) => Record<string, Value>,
): Promise<Record<string, HostTensor>> {
  const b = new GraphBuilder('test');
  const values: Record<string, Value> = {};
  for (const [name, spec] of Object.entries(inputs)) values[name] = b.input(name, spec.dtype ?? 'float32', spec.shape ?? spec.x.shape);
  for (const [name, value] of Object.entries(build(b, values))) b.output(value, name);
  const feeds = Object.fromEntries(Object.entries(inputs).map(([name, spec]) => [name, host(spec.x, spec.dtype)]));
  return runModel(b.model(), feeds);
}

describe('GraphBuilder ops against plain-JS references (onnxruntime CPU)', () => {
  it('elementwise arithmetic broadcasts like numpy, with a symbolic batch dim', async () => {
    const x = random([2, 3, 4], 1);
    const y = random([3, 1], 2, (v) => (v >= 0 ? v + 0.5 : v - 0.5));
    const out = await run({ x: { x, shape: ['batch', 3, 4] }, y: { x: y } }, (b, { x, y }) => ({
      add: b.add(x!, y!),
      sub: b.sub(x!, y!),
      mul: b.mul(x!, y!),
      div: b.div(x!, y!),
      pow: b.pow(b.add(b.abs(x!), 0.5), 1.5),
      scalar: b.sub(2, x!),
    }));
    expectClose(out.add, ref.broadcast([x, y], (a, c) => a + c));
    expectClose(out.sub, ref.broadcast([x, y], (a, c) => a - c));
    expectClose(out.mul, ref.broadcast([x, y], (a, c) => a * c));
    expectClose(out.div, ref.broadcast([x, y], (a, c) => a / c));
    expectClose(out.pow, ref.map(x, (a) => (Math.abs(a) + 0.5) ** 1.5));
    expectClose(out.scalar, ref.map(x, (a) => 2 - a));
  });

  it('float functions', async () => {
    const x = random([2, 5], 3);
    const out = await run({ x: { x } }, (b, { x }) => {
      const positive = b.add(b.abs(x!), 0.1);
      return {
        sqrt: b.sqrt(positive), reciprocal: b.reciprocal(positive), log: b.log(positive), exp: b.exp(x!), neg: b.neg(x!), relu: b.relu(x!),
        sigmoid: b.sigmoid(x!), tanh: b.tanh(x!), erf: b.erf(x!), sin: b.sin(x!), cos: b.cos(x!), identity: b.identity(x!),
      };
    });
    const p = (v: number): number => Math.abs(v) + 0.1;
    expectClose(out.sqrt, ref.map(x, (v) => Math.sqrt(p(v))));
    expectClose(out.reciprocal, ref.map(x, (v) => 1 / p(v)));
    expectClose(out.log, ref.map(x, (v) => Math.log(p(v))));
    expectClose(out.exp, ref.map(x, Math.exp));
    expectClose(out.neg, ref.map(x, (v) => -v));
    expectClose(out.relu, ref.map(x, (v) => Math.max(0, v)));
    expectClose(out.sigmoid, ref.map(x, (v) => 1 / (1 + Math.exp(-v))));
    expectClose(out.tanh, ref.map(x, Math.tanh));
    expectClose(out.erf, ref.map(x, ref.erf), 1e-5);
    expectClose(out.sin, ref.map(x, Math.sin));
    expectClose(out.cos, ref.map(x, Math.cos));
    expectClose(out.identity, x);
  });

  it('comparisons, Where, Cast', async () => {
    const x = random([3, 4], 4);
    const y = random([4], 5);
    const ids: ref.Nd = { shape: [2, 3], data: [5, 7, 7, 1, 7, 2] };
    const out = await run({ x: { x }, y: { x: y }, ids: { x: ids, dtype: 'int32' } }, (b, { x, y, ids }) => ({
      where: b.where(b.less(x!, y!), x!, y!),
      greater: b.cast(b.greater(x!, y!), 'float32'),
      equal: b.cast(b.equal(ids!, 7), 'int64'),
      truncate: b.cast(b.mul(x!, 3), 'int32'),
    }));
    expectClose(out.where, ref.broadcast([x, y], (a, c) => Math.min(a, c)));
    expectClose(out.greater, ref.broadcast([x, y], (a, c) => (a > c ? 1 : 0)));
    expectClose(out.equal, ref.map(ids, (v) => (v === 7 ? 1 : 0)));
    expectClose(out.truncate, ref.map(x, (v) => Math.trunc(Math.fround(Math.fround(v) * 3))));
  });

  it('MatMul with batch broadcasting and Gemm', async () => {
    const a = random([2, 3, 4, 5], 6);
    const w = random([5, 6], 7);
    const p = random([2, 1, 4, 5], 8);
    const q = random([3, 5, 2], 9);
    const ga = random([3, 4], 10);
    const gb = random([5, 4], 11);
    const gc = random([5], 12);
    const out = await run({ a: { x: a }, w: { x: w }, p: { x: p }, q: { x: q }, ga: { x: ga }, gb: { x: gb }, gc: { x: gc } }, (b, v) => ({
      mm: b.matMul(v.a!, v.w!),
      batched: b.matMul(v.p!, v.q!),
      gemm: b.gemm(v.ga!, v.gb!, v.gc!, { transB: true, alpha: 0.5, beta: 2 }),
    }));
    expectClose(out.mm, ref.matMul(a, w), 1e-4);
    expectClose(out.batched, ref.matMul(p, q), 1e-4);
    const gemm = ref.broadcast([ref.matMul(ga, ref.transpose(gb, [1, 0])), gc], (ab, c) => 0.5 * ab + 2 * c);
    expectClose(out.gemm, gemm, 1e-4);
  });

  it('Conv: padding, strides, asymmetric pads, groups, bias', async () => {
    const x = random([2, 4, 7, 6], 13);
    const w = random([6, 4, 3, 3], 14);
    const wg = random([4, 2, 3, 3], 15);
    const bias = random([6], 16);
    const out = await run({ x: { x, shape: ['batch', 4, 7, 6] }, w: { x: w }, wg: { x: wg }, bias: { x: bias } }, (b, v) => ({
      same: b.conv(v.x!, v.w!, v.bias!, { pads: [1, 1, 1, 1] }),
      strided: b.conv(v.x!, v.w!, undefined, { pads: [0, 0, 1, 1], strides: [2, 2] }),
      grouped: b.conv(v.x!, v.wg!, undefined, { pads: [1, 0, 1, 0], group: 2 }),
    }));
    expectClose(out.same, ref.conv2d(x, w, bias, [1, 1, 1, 1], [1, 1]), 1e-4);
    expectClose(out.strided, ref.conv2d(x, w, undefined, [0, 0, 1, 1], [2, 2]), 1e-4);
    expectClose(out.grouped, ref.conv2d(x, wg, undefined, [1, 0, 1, 0], [1, 1], 2), 1e-4);
  });

  it('LayerNormalization, Softmax, reductions, ArgMax', async () => {
    const x = random([2, 3, 8], 17);
    const scale = random([8], 18);
    const shift = random([8], 19);
    const out = await run({ x: { x, shape: ['batch', 3, 8] }, scale: { x: scale }, shift: { x: shift } }, (b, v) => ({
      ln: b.layerNormalization(v.x!, v.scale!, v.shift!, { epsilon: 1e-5 }),
      softmaxLast: b.softmax(v.x!, -1),
      softmaxMiddle: b.softmax(v.x!, 1),
      mean: b.reduceMean(v.x!, [1, 2]),
      sum: b.reduceSum(v.x!, [-1], false),
      max: b.reduceMax(v.x!, [0]),
      argmax: b.argMax(v.x!, 2),
    }));
    const mean = ref.reduce(x, [2], (vs) => vs.reduce((a, c) => a + c, 0) / vs.length);
    const variance = ref.reduce(ref.broadcast([x, mean], (a, m) => (a - m) ** 2), [2], (vs) => vs.reduce((a, c) => a + c, 0) / vs.length);
    const normalized = ref.broadcast([x, mean, variance], (a, m, s) => (a - m) / Math.sqrt(s + 1e-5));
    expectClose(out.ln, ref.broadcast([normalized, scale, shift], (n, s, t) => n * s + t), 1e-4);
    expectClose(out.softmaxLast, ref.softmax(x, 2));
    expectClose(out.softmaxMiddle, ref.softmax(x, 1));
    expectClose(out.mean, ref.reduce(x, [1, 2], (vs) => vs.reduce((a, c) => a + c, 0) / vs.length));
    const sum = ref.reduce(x, [2], (vs) => vs.reduce((a, c) => a + c, 0));
    expectClose(out.sum, { shape: [2, 3], data: sum.data });
    expectClose(out.max, ref.reduce(x, [0], (vs) => Math.max(...vs)));
    const argmax = ref.reduce(x, [2], (vs) => vs.indexOf(Math.max(...vs)));
    expectClose(out.argmax, { shape: [2, 3], data: argmax.data });
  });

  it('Reshape, Transpose, Concat, Slice, Gather, GatherElements, Unsqueeze, Squeeze, Expand, Resize', async () => {
    const x = random([2, 3, 4], 20);
    const y = random([2, 2, 4], 21);
    const idx: ref.Nd = { shape: [2, 2], data: [2, 0, 1, 1] };
    const elemIdx: ref.Nd = { shape: [2, 1, 4], data: [0, 2, 1, 0, 2, 2, 0, 1] };
    const out = await run(
      { x: { x, shape: ['batch', 3, 4] }, y: { x: y, shape: ['batch', 2, 4] }, idx: { x: idx, dtype: 'int32' }, el: { x: elemIdx, dtype: 'int64', shape: ['batch', 1, 4] } },
      (b, v) => ({
        reshape: b.reshape(v.x!, ['batch', 12]),
        moved: b.reshape(b.transpose(v.x!, [1, 2, 0]), [12, 'batch']),
        transpose: b.transpose(v.x!, [0, 2, 1]),
        concat: b.concat([v.x!, v.y!], 1),
        slice: b.slice(v.x!, { starts: [-1, 0], ends: [0, 4], axes: [1, 2], steps: [-1, 2] }),
        gather: b.gather(v.x!, v.idx!, 1),
        gatherElements: b.gatherElements(v.x!, v.el!, 1),
        squeezed: b.squeeze(b.unsqueeze(v.x!, [1, -1]), [1]),
        expand: b.expand(b.reduceMean(v.x!, [2]), [1, 1, 5]),
        resize: b.resizeNearest(b.unsqueeze(v.x!, [1]), [1, 1, 2, 2]),
      }),
    );
    expectClose(out.reshape, { shape: [2, 12], data: x.data });
    expectClose(out.moved, { shape: [12, 2], data: ref.transpose(x, [1, 2, 0]).data });
    expectClose(out.transpose, ref.transpose(x, [0, 2, 1]));
    expectClose(out.concat, ref.fromFn([2, 5, 4], ([n, c, w]) => (c! < 3 ? ref.at(x, [n!, c!, w!]) : ref.at(y, [n!, c! - 3, w!]))));
    expectClose(out.slice, ref.fromFn([2, 2, 2], ([n, c, w]) => ref.at(x, [n!, 2 - c!, w! * 2])));
    expectClose(out.gather, ref.fromFn([2, 2, 2, 4], ([n, i, j, w]) => ref.at(x, [n!, ref.at(idx, [i!, j!]), w!])));
    expectClose(out.gatherElements, ref.fromFn([2, 1, 4], ([n, , w]) => ref.at(x, [n!, ref.at(elemIdx, [n!, 0, w!]), w!])));
    expectClose(out.squeezed, { shape: [2, 3, 4, 1], data: x.data });
    const means = ref.reduce(x, [2], (vs) => vs.reduce((a, c) => a + c, 0) / vs.length);
    expectClose(out.expand, ref.fromFn([2, 3, 5], ([n, c]) => ref.at(means, [n!, c!, 0])));
    expectClose(out.resize, ref.fromFn([2, 1, 6, 8], ([n, , h, w]) => ref.at(x, [n!, Math.floor(h! / 2), Math.floor(w! / 2)])));
  });
});
