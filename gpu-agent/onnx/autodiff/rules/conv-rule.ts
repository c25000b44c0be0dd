import { attr, intAttr, intsAttr } from '../../attributes.ts';
import type { ValueInfo } from '../../ir.ts';
import { SLICE_TO_END, staticDims, type GradientEmitter } from '../gradient-emitter.ts';
import { outputGradOf, type GradientContext, type GradientRule } from '../gradient-rule.ts';

/** The geometry of one Conv node (N-d, NCHW-style layout). */
interface ConvGeometry {
  group: number;
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Begin pads then end pads. */
  pads: number[];
  /** Spatial input sizes. */
  sizes: number[];
}

function range(n: number, from = 0): number[] {
  return Array.from({ length: n }, (_, i) => i + from);
}

/** Swaps the first two axes (`[N, C, ...]` <-> `[C, N, ...]`). */
function swapFirst(e: GradientEmitter, v: ValueInfo): ValueInfo {
  return e.transpose(v, [1, 0, ...range(v.shape.length - 2, 2)]);
}

/**
 * dX: a stride-1 convolution of the gradient, dilated by the forward strides, with the weight's
 * in/out channels swapped per group and its kernel flipped; pads make the result the input's
 * size (negative pads become a crop).
 */
function inputGradient(e: GradientEmitter, g: ValueInfo, w: ValueInfo, geo: ConvGeometry): ValueInfo {
  const n = geo.kernel.length;
  let dilated = g;
  geo.strides.forEach((s, i) => (dilated = e.dilate(dilated, 2 + i, s, g.shape[2 + i] as number)));
  const [m, cg] = [w.shape[0] as number, w.shape[1] as number];
  let swapped: ValueInfo;
  if (geo.group === 1) {
    swapped = swapFirst(e, w);
  } else {
    const grouped = e.reshapeTo(w, [geo.group, m / geo.group, cg, ...geo.kernel]);
    swapped = e.reshapeTo(e.transpose(grouped, [0, 2, 1, ...range(n, 3)]), [geo.group * cg, m / geo.group, ...geo.kernel]);
  }
  const flipped = e.slice(swapped, geo.kernel.map(() => -1), geo.kernel.map(() => -SLICE_TO_END), range(n, 2), geo.kernel.map(() => -1));
  const begins: number[] = [];
  const ends: number[] = [];
  geo.kernel.forEach((k, i) => {
    const span = geo.dilations[i]! * (k - 1);
    const [begin, end] = [geo.pads[i]!, geo.pads[n + i]!];
    // Input rows past the last window (when the stride does not divide evenly) get no gradient.
    const rest = (geo.sizes[i]! + begin + end - span - 1) % geo.strides[i]!;
    begins.push(span - begin);
    ends.push(span - end + rest);
  });
  const pads = [...begins, ...ends];
  const result = e.one('Conv', [dilated, flipped], {
    group: attr.int(geo.group),
    dilations: attr.ints(geo.dilations),
    pads: attr.ints(pads.map((p) => Math.max(p, 0))),
  });
  const crop = range(n).filter((i) => pads[i]! < 0 || pads[n + i]! < 0);
  const starts = crop.map((i) => Math.max(-pads[i]!, 0));
  return e.slice(result, starts, crop.map((i, j) => starts[j]! + geo.sizes[i]!), crop.map((i) => 2 + i));
}

/**
 * dW for one group of channels: correlate the input with the gradient, treating the batch as the
 * channels (`Conv(x^T, g^T)` with strides and dilations exchanged), then crop to the kernel.
 */
function weightGradient(e: GradientEmitter, x: ValueInfo, g: ValueInfo, geo: ConvGeometry, group: number): ValueInfo {
  const n = geo.kernel.length;
  let input = swapFirst(e, x);
  if (group > 1) {
    const [batch, channels] = [x.shape[0] as number, x.shape[1] as number];
    const grouped = e.reshapeTo(x, [batch, group, channels / group, ...geo.sizes]);
    input = e.reshapeTo(e.transpose(grouped, [2, 1, 0, ...range(n, 3)]), [channels / group, group * batch, ...geo.sizes]);
  }
  const correlated = e.one('Conv', [input, swapFirst(e, g)], {
    group: attr.int(group),
    strides: attr.ints(geo.dilations),
    dilations: attr.ints(geo.strides),
    pads: attr.ints(geo.pads),
  });
  const longer = range(n).filter((i) => correlated.shape[2 + i] !== geo.kernel[i]);
  const cropped = e.slice(correlated, longer.map(() => 0), longer.map((i) => geo.kernel[i]!), longer.map((i) => 2 + i));
  return swapFirst(e, cropped);
}

/** Conv (any spatial rank, groups, strides, pads, dilations): input, weight and bias gradients. */
function conv(ctx: GradientContext): readonly (ValueInfo | undefined)[] {
  const e = ctx.emit;
  const attrs = ctx.node.attributes;
  const [x, w] = [ctx.input(0), ctx.input(1)];
  const g = outputGradOf(ctx);
  const kernel = staticDims(w.shape.slice(2)) ?? ctx.fail('the kernel must be static');
  const sizes = staticDims(x.shape.slice(2)) ?? ctx.fail('spatial dims must be static');
  const n = kernel.length;
  const geo: ConvGeometry = {
    group: intAttr(attrs, 'group', 1),
    kernel,
    sizes,
    strides: [...(intsAttr(attrs, 'strides') ?? kernel.map(() => 1))],
    dilations: [...(intsAttr(attrs, 'dilations') ?? kernel.map(() => 1))],
    pads: [...(intsAttr(attrs, 'pads') ?? new Array<number>(2 * n).fill(0))],
  };
  const dx = ctx.needsGrad(0) ? inputGradient(e, g, w, geo) : undefined;
  let dw: ValueInfo | undefined;
  if (ctx.needsGrad(1)) {
    if (geo.group === 1 || typeof x.shape[0] === 'number') {
      dw = weightGradient(e, x, g, geo, geo.group);
    } else {
      // A symbolic batch cannot be folded into channels: one correlation per group.
      const xs = e.split(x, 1, new Array<number>(geo.group).fill((x.shape[1] as number) / geo.group));
      const gs = e.split(g, 1, new Array<number>(geo.group).fill((w.shape[0] as number) / geo.group));
      dw = e.concat(xs.map((xi, i) => weightGradient(e, xi, gs[i]!, geo, 1)), 0);
    }
  }
  const db = ctx.optionalInput(2) !== undefined && ctx.needsGrad(2) ? e.reduceSum(g, [0, ...range(n, 2)], false) : undefined;
  return [dx, dw, db];
}

/** Conv. */
export const CONV_RULES: Readonly<Record<string, GradientRule>> = { Conv: conv };
