import { expect } from 'vitest';
import { seededRandom } from '../../../tiny-model/seeded-random.ts';
import { GraphBuilder, type Value } from '../../graph-builder.ts';
import type { DType, Dim, OnnxGraph } from '../../ir.ts';
import { checkGradients, worstError, type CheckGradientsOptions, type Feed, type GradientCheck } from './finite-differences.ts';

/** One input of an op under test. */
export interface OpInput {
  /** Concrete dims of the fed value. */
  dims: number[];
  /** Declared shape, when some dims should stay symbolic (default `dims`). */
  shape?: Dim[];
  /** Default: the op's dtype. Integer inputs are not differentiated. */
  dtype?: DType;
  /** Explicit values; default uniform in `[low, high)`. */
  values?: number[];
  low?: number;
  high?: number;
}

/** A forward graph around one op, with its feeds. */
export interface OpGraph {
  graph: OnnxGraph;
  feeds: Record<string, Feed>;
  /** The float inputs, which are differentiated. */
  wrt: string[];
}

/**
 * Test helper: declares `inputs`, applies `build`, and reduces the result to the loss
 * `sum(y * r)` with fixed random weights `r` (1 along symbolic dims), so the gradient flowing
 * into the op is not uniform.
 */
export function opGraph(dtype: DType, inputs: Record<string, OpInput>, build: (b: GraphBuilder, v: Record<string, Value>) => Value, seed = 1): OpGraph {
  const b = new GraphBuilder('op');
  const random = seededRandom(seed, 'op-graph');
  const values: Record<string, Value> = {};
  const feeds: Record<string, Feed> = {};
  const wrt: string[] = [];
  for (const [name, spec] of Object.entries(inputs)) {
    const type = spec.dtype ?? dtype;
    values[name] = b.input(name, type, spec.shape ?? spec.dims);
    const count = spec.dims.reduce((a, c) => a * c, 1);
    const [low, high] = [spec.low ?? -1, spec.high ?? 1];
    feeds[name] = { dims: spec.dims, data: spec.values ?? Array.from({ length: count }, () => low + (high - low) * random.uniform()) };
    if (type === 'float32' || type === 'float64') wrt.push(name);
  }
  const y = build(b, values);
  const weightDims = y.shape.map((d) => (typeof d === 'number' ? d : 1));
  const weights = b.constant(y.dtype, weightDims, Array.from({ length: weightDims.reduce((a, c) => a * c, 1) }, () => random.uniform() * 2 - 1));
  const loss = b.reduceSum(b.mul(y, weights), y.shape.map((_, i) => i), false);
  b.output(loss, 'loss');
  return { graph: b.build(), feeds, wrt };
}

/** Tolerances: the check passes when `|analytic - numeric| <= atol + rtol |numeric|` for every entry. */
export interface Tolerance {
  atol: number;
  rtol: number;
}

/** float64 graphs: finite differences with Richardson extrapolation are good to about 1e-9. */
export const FLOAT64_TOLERANCE: Tolerance = { atol: 1e-7, rtol: 1e-6 };

/** Checks the op graph's gradients against finite differences and asserts they agree. */
export async function expectGradients(op: OpGraph, tolerance: Tolerance = FLOAT64_TOLERANCE, options: Partial<CheckGradientsOptions> = {}): Promise<GradientCheck> {
  const check = await checkGradients(op.graph, { loss: 'loss', wrt: op.wrt, feeds: op.feeds, ...options });
  expectAgreement(check, tolerance);
  return check;
}

/** Asserts that every checked entry agrees within the tolerance, naming the worst one. */
export function expectAgreement(check: GradientCheck, tolerance: Tolerance): void {
  expect(check.entries.length).toBeGreaterThan(0);
  const worst = worstError(check.entries, tolerance.atol, tolerance.rtol);
  const where = worst.entry === undefined ? '' : `${worst.entry.name}[${worst.entry.index}]: analytic ${worst.entry.analytic}, numeric ${worst.entry.numeric}`;
  expect(worst.ratio, where).toBeLessThanOrEqual(1);
}
