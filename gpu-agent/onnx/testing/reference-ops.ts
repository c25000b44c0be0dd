/**
 * Plain-JavaScript reference implementations of the ONNX operators the builder emits, written
 * for clarity (loops over indices), not speed. Tests compare onnxruntime's results against them.
 */

/** A dense row-major array. */
export interface Nd {
  shape: number[];
  data: number[];
}

/** Row-major strides of a shape. */
export function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = out[i + 1]! * shape[i + 1]!;
  return out;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function unravel(index: number, shape: readonly number[]): number[] {
  const out: number[] = [];
  for (const s of strides(shape)) {
    out.push(Math.floor(index / s));
    index %= s;
  }
  return out;
}

function offset(coords: readonly number[], shape: readonly number[]): number {
  const st = strides(shape);
  return coords.reduce((acc, c, i) => acc + c * st[i]!, 0);
}

/** Creates an array from a shape and a function of the coordinates. */
export function fromFn(shape: number[], fn: (coords: number[]) => number): Nd {
  return { shape, data: Array.from({ length: size(shape) }, (_, i) => fn(unravel(i, shape))) };
}

/** Reads one element. */
export function at(x: Nd, coords: readonly number[]): number {
  return x.data[offset(coords, x.shape)]!;
}

/** Numpy broadcasting of an n-ary elementwise function. */
export function broadcast(inputs: readonly Nd[], fn: (...values: number[]) => number): Nd {
  const rank = Math.max(...inputs.map((x) => x.shape.length));
  const shape = Array.from({ length: rank }, (_, i) => Math.max(...inputs.map((x) => x.shape[x.shape.length - rank + i] ?? 1)));
  return fromFn(shape, (coords) =>
    fn(
      ...inputs.map((x) => {
        const own = x.shape.map((d, i) => (d === 1 ? 0 : coords[rank - x.shape.length + i]!));
        return at(x, own);
      }),
    ),
  );
}

/** Elementwise map. */
export function map(x: Nd, fn: (v: number) => number): Nd {
  return { shape: [...x.shape], data: x.data.map(fn) };
}

/** Matrix product with batch broadcasting (both operands rank >= 2). */
export function matMul(a: Nd, b: Nd): Nd {
  const [n, k] = a.shape.slice(-2) as [number, number];
  const m = b.shape[b.shape.length - 1]!;
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const rank = Math.max(batchA.length, batchB.length);
  const batch = Array.from({ length: rank }, (_, i) => Math.max(batchA[batchA.length - rank + i] ?? 1, batchB[batchB.length - rank + i] ?? 1));
  return fromFn([...batch, n, m], (coords) => {
    const bc = coords.slice(0, rank);
    const pick = (shape: number[]): number[] => shape.map((d, i) => (d === 1 ? 0 : bc[rank - shape.length + i]!));
    let sum = 0;
    for (let j = 0; j < k; j++) sum += at(a, [...pick(batchA), coords[rank]!, j]) * at(b, [...pick(batchB), j, coords[rank + 1]!]);
    return sum;
  });
}

/** 2-D convolution, NCHW, with pads `[top, left, bottom, right]`, strides and groups. */
export function conv2d(x: Nd, w: Nd, bias: Nd | undefined, pads: number[], stride: number[], group = 1): Nd {
  const [n, , h, wd] = x.shape as [number, number, number, number];
  const [m, cg, kh, kw] = w.shape as [number, number, number, number];
  const oh = Math.floor((h + pads[0]! + pads[2]! - kh) / stride[0]!) + 1;
  const ow = Math.floor((wd + pads[1]! + pads[3]! - kw) / stride[1]!) + 1;
  return fromFn([n, m, oh, ow], ([b, o, y, xx]) => {
    const g = Math.floor(o! / (m / group));
    let sum = bias === undefined ? 0 : bias.data[o!]!;
    for (let ci = 0; ci < cg; ci++) {
      for (let dy = 0; dy < kh; dy++) {
        for (let dx = 0; dx < kw; dx++) {
          const iy = y! * stride[0]! - pads[0]! + dy;
          const ix = xx! * stride[1]! - pads[1]! + dx;
          if (iy < 0 || ix < 0 || iy >= h || ix >= wd) continue;
          sum += at(x, [b!, g * cg + ci, iy, ix]) * at(w, [o!, ci, dy, dx]);
        }
      }
    }
    return sum;
  });
}

/** Reduction over axes (keepdims). */
export function reduce(x: Nd, axes: readonly number[], fn: (values: number[]) => number): Nd {
  const set = new Set(axes.map((a) => (a < 0 ? a + x.shape.length : a)));
  const shape = x.shape.map((d, i) => (set.has(i) ? 1 : d));
  const groups = new Map<number, number[]>();
  x.data.forEach((v, i) => {
    const coords = unravel(i, x.shape).map((c, j) => (set.has(j) ? 0 : c));
    const key = offset(coords, shape);
    groups.set(key, [...(groups.get(key) ?? []), v]);
  });
  return { shape, data: Array.from({ length: size(shape) }, (_, i) => fn(groups.get(i)!)) };
}

/** Softmax along an axis. */
export function softmax(x: Nd, axis: number): Nd {
  const max = reduce(x, [axis], (v) => Math.max(...v));
  const exps = broadcast([x, max], (a, m) => Math.exp(a - m));
  const sums = reduce(exps, [axis], (v) => v.reduce((a, b) => a + b, 0));
  return broadcast([exps, sums], (e, s) => e / s);
}

/** Transpose by a permutation. */
export function transpose(x: Nd, perm: readonly number[]): Nd {
  return fromFn(perm.map((p) => x.shape[p]!), (coords) => {
    const source = new Array<number>(perm.length);
    perm.forEach((p, i) => (source[p] = coords[i]!));
    return at(x, source);
  });
}

/** Error function (Abramowitz-Stegun 7.1.26; absolute error below 1.5e-7). */
export function erf(x: number): number {
  const sign = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign * (1 - poly * Math.exp(-a * a));
}
