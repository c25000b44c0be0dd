import { attr, floatAttr, intAttr } from '../../attributes.ts';
import type { ValueInfo } from '../../ir.ts';
import { staticDims } from '../gradient-emitter.ts';
import { outputGradOf, type GradientContext, type GradientRule } from '../gradient-rule.ts';

/**
 * MatMul with numpy semantics: 1-D operands are promoted to matrices, batch dims broadcast.
 * `dA = g B^T`, `dB = A^T g`, each summed over the batch dims its operand was broadcast along.
 * A weight `[k, m]` applied to a static batch of rows is folded into one Gemm (`A^T g`).
 */
function matMul(ctx: GradientContext): readonly (ValueInfo | undefined)[] {
  const e = ctx.emit;
  const [a, b] = [ctx.input(0), ctx.input(1)];
  const a2 = a.shape.length === 1 ? e.unsqueeze(a, [0]) : a;
  const b2 = b.shape.length === 1 ? e.unsqueeze(b, [1]) : b;
  let g = outputGradOf(ctx);
  if (a.shape.length === 1) g = e.unsqueeze(g, [g.shape.length - (b.shape.length === 1 ? 0 : 1)]);
  if (b.shape.length === 1) g = e.unsqueeze(g, [g.shape.length]);
  let da: ValueInfo | undefined;
  if (ctx.needsGrad(0)) da = e.reshapeTo(e.unbroadcast(e.matMul(g, e.transposeLast(b2)), a2.shape), a.shape);
  let db: ValueInfo | undefined;
  if (ctx.needsGrad(1)) {
    const rows = staticDims(a2.shape.slice(0, -1));
    if (b2.shape.length === 2 && a2.shape.length > 2 && rows !== undefined) {
      const count = rows.reduce((x, y) => x * y, 1);
      const flatA = e.reshapeTo(a2, [count, a2.shape[a2.shape.length - 1]!]);
      const flatG = e.reshapeTo(g, [count, g.shape[g.shape.length - 1]!]);
      db = e.one('Gemm', [flatA, flatG], { transA: attr.int(1) });
    } else {
      db = e.unbroadcast(e.matMul(e.transposeLast(a2), g), b2.shape);
    }
    db = e.reshapeTo(db, b.shape);
  }
  return [da, db];
}

/** Gemm `alpha op(A) op(B) + beta C`: each gradient is one Gemm with the transposes rearranged. */
function gemm(ctx: GradientContext): readonly (ValueInfo | undefined)[] {
  const e = ctx.emit;
  const attrs = ctx.node.attributes;
  const [a, b, c] = [ctx.input(0), ctx.input(1), ctx.optionalInput(2)];
  const alpha = floatAttr(attrs, 'alpha', 1);
  // Float attributes are float32 on the wire; beta becomes a constant, so round it the same way.
  const beta = Math.fround(floatAttr(attrs, 'beta', 1));
  const transA = intAttr(attrs, 'transA', 0) === 1;
  const transB = intAttr(attrs, 'transB', 0) === 1;
  const g = outputGradOf(ctx);
  const product = (x: ValueInfo, y: ValueInfo, tx: boolean, ty: boolean): ValueInfo =>
    e.one('Gemm', [x, y], { alpha: attr.float(alpha), transA: attr.int(tx ? 1 : 0), transB: attr.int(ty ? 1 : 0) });
  const da = !ctx.needsGrad(0) ? undefined : transA ? product(b, g, transB, true) : product(g, b, false, !transB);
  const db = !ctx.needsGrad(1) ? undefined : transB ? product(g, a, true, transA) : product(a, g, !transA, false);
  let dc: ValueInfo | undefined;
  if (c !== undefined && ctx.needsGrad(2)) {
    const summed = e.unbroadcast(g, c.shape);
    dc = beta === 1 ? summed : e.mul(summed, beta);
  }
  return [da, db, dc];
}

/** MatMul and Gemm. */
export const MATMUL_RULES: Readonly<Record<string, GradientRule>> = {
  MatMul: matMul,
  Gemm: gemm,
};
