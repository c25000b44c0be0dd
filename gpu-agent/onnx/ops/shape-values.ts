import { intAttr } from '../attributes.ts';
import type { AttributeValue, Dim, TensorData, ValueInfo } from '../ir.ts';

/** Integer tensors up to this many elements are tracked as shape values. */
const MAX_TRACKED = 64;

/** What {@link shapeValueOf} sees of one node. */
export interface ShapeValueNode {
  readonly opType: string;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /** Input types; `undefined` for an omitted optional input. */
  readonly inputs: readonly (ValueInfo | undefined)[];
  /** Output types as inferred. */
  readonly outputs: readonly ValueInfo[];
  /** The known values of input `index` (constant data or an earlier shape value). */
  value(index: number): readonly Dim[] | undefined;
}

/** The values of a small integer constant as dims, or `undefined` when it is not one. */
export function constantShapeValue(info: ValueInfo, data: TensorData): Dim[] | undefined {
  if ((info.dtype !== 'int64' && info.dtype !== 'int32') || info.shape.length > 1 || data.length > MAX_TRACKED) return undefined;
  return Array.from(data as ArrayLike<number | bigint>, (v) => Number(v));
}

function numeric(values: readonly Dim[]): values is readonly number[] {
  return values.every((d) => typeof d === 'number');
}

/** Elementwise integer arithmetic with broadcasting of length-1 operands; symbolic dims survive only `x * 1`, `x + 0`, `x / 1`. */
function arithmetic(op: string, a: readonly Dim[], b: readonly Dim[]): Dim[] | undefined {
  const length = Math.max(a.length, b.length);
  if ((a.length !== length && a.length !== 1) || (b.length !== length && b.length !== 1)) return undefined;
  const out: Dim[] = [];
  for (let i = 0; i < length; i++) {
    const x = a[a.length === 1 ? 0 : i]!;
    const y = b[b.length === 1 ? 0 : i]!;
    if (typeof x === 'number' && typeof y === 'number') {
      const result = op === 'Add' ? x + y : op === 'Sub' ? x - y : op === 'Mul' ? x * y : op === 'Div' ? Math.trunc(x / y) : undefined;
      if (result === undefined || !Number.isFinite(result)) return undefined;
      out.push(result);
    } else if ((op === 'Mul' || op === 'Div') && y === 1) {
      out.push(x);
    } else if (op === 'Mul' && x === 1) {
      out.push(y);
    } else if ((op === 'Add' || op === 'Sub') && y === 0) {
      out.push(x);
    } else if (op === 'Add' && x === 0) {
      out.push(y);
    } else {
      return undefined;
    }
  }
  return out;
}

function pick(values: readonly Dim[], indices: readonly Dim[]): Dim[] | undefined {
  if (!numeric(indices)) return undefined;
  const out: Dim[] = [];
  for (const index of indices) {
    const d = values[index < 0 ? index + values.length : index];
    if (d === undefined) return undefined;
    out.push(d);
  }
  return out;
}

function slice(node: ShapeValueNode): Dim[] | undefined {
  const data = node.value(0);
  const [starts, ends] = [node.value(1), node.value(2)];
  const steps = node.inputs[4] === undefined ? [1] : node.value(4);
  if (data === undefined || starts?.length !== 1 || ends?.length !== 1 || steps === undefined || !numeric(starts) || !numeric(ends) || !numeric(steps)) return undefined;
  const n = data.length;
  const step = steps[0]!;
  if (step === 0) return undefined;
  const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
  const out: Dim[] = [];
  if (step > 0) for (let i = clamp(starts[0]!, 0, n); i < clamp(ends[0]!, 0, n); i += step) out.push(data[i]!);
  else for (let i = clamp(starts[0]!, 0, n - 1); i > clamp(ends[0]!, -1, n - 1); i += step) out.push(data[i]!);
  return out;
}

function equal(a: readonly Dim[], b: readonly Dim[]): Dim[] | undefined {
  const length = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < length; i++) {
    const x = a[a.length === 1 ? 0 : i]!;
    const y = b[b.length === 1 ? 0 : i]!;
    if (x === y) out.push(1);
    else if (typeof x === 'number' && typeof y === 'number') out.push(0);
    // A symbolic dim is never negative, so it differs from -1 (the "infer" marker torch exports compare with).
    else if ((typeof x === 'number' && x < 0) || (typeof y === 'number' && y < 0)) out.push(0);
    else return undefined;
  }
  return out;
}

function where(condition: readonly Dim[], a: readonly Dim[], b: readonly Dim[]): Dim[] | undefined {
  if (!numeric(condition)) return undefined;
  const length = Math.max(condition.length, a.length, b.length);
  const at = (v: readonly Dim[], i: number): Dim | undefined => v[v.length === 1 ? 0 : i];
  const out: Dim[] = [];
  for (let i = 0; i < length; i++) {
    const d = at(condition, i) !== 0 ? at(a, i) : at(b, i);
    if (d === undefined) return undefined;
    out.push(d);
  }
  return out;
}

/**
 * Partial evaluation of the small integer computations that exports do on shapes (torch's
 * `Shape -> Gather -> Unsqueeze -> Concat -> Reshape`): returns the values of a node's first
 * output as dims, symbolic where they came from a symbolic input dim, or `undefined` when they
 * are not known at build time. Shape inference uses these values wherever a target shape, axes
 * or sizes must be known.
 */
export function shapeValueOf(node: ShapeValueNode): Dim[] | undefined {
  const out = node.outputs[0];
  if (out === undefined || out.shape.length > 1 || (out.dtype !== 'int64' && out.dtype !== 'int32' && out.dtype !== 'bool')) return undefined;
  const v = (i: number): readonly Dim[] | undefined => (node.inputs[i] === undefined ? undefined : node.value(i));
  const all = (): (readonly Dim[])[] | undefined => {
    const values = node.inputs.map((_, i) => v(i));
    return values.every((x) => x !== undefined) ? (values as (readonly Dim[])[]) : undefined;
  };
  switch (node.opType) {
    case 'Shape': {
      const shape = node.inputs[0]!.shape;
      const rank = shape.length;
      const clamp = (x: number): number => Math.min(Math.max(x < 0 ? x + rank : x, 0), rank);
      return shape.slice(clamp(intAttr(node.attributes, 'start', 0)), clamp(intAttr(node.attributes, 'end', rank)));
    }
    case 'Size': {
      const shape = node.inputs[0]!.shape;
      return numeric(shape) ? [shape.reduce((a, b) => a * b, 1)] : undefined;
    }
    case 'Identity':
    case 'Unsqueeze':
    case 'Squeeze':
    case 'Reshape':
      return v(0) === undefined ? undefined : [...v(0)!];
    case 'Cast':
      return node.inputs[0]!.dtype === 'int64' || node.inputs[0]!.dtype === 'int32' ? (v(0) === undefined ? undefined : [...v(0)!]) : undefined;
    case 'Concat':
      return all()?.flat();
    case 'Gather':
      return v(0) === undefined || v(1) === undefined ? undefined : pick(v(0)!, v(1)!);
    case 'Slice':
      return slice(node);
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
      return v(0) === undefined || v(1) === undefined ? undefined : arithmetic(node.opType, v(0)!, v(1)!);
    case 'Equal':
      return v(0) === undefined || v(1) === undefined ? undefined : equal(v(0)!, v(1)!);
    case 'Where':
      return all() === undefined ? undefined : where(v(0)!, v(1)!, v(2)!);
    case 'ConstantOfShape': {
      const value = node.attributes['value'];
      const fill = value?.type === 'tensor' ? Number(value.value.data[0] ?? 0) : 0;
      const size = out.shape[0] ?? 1;
      return typeof size === 'number' && size <= MAX_TRACKED ? new Array<Dim>(size).fill(fill) : undefined;
    }
    case 'Range': {
      const [start, , delta] = [v(0), v(1), v(2)];
      const size = out.shape[0];
      if (start === undefined || delta === undefined || !numeric(start) || !numeric(delta) || typeof size !== 'number' || size > MAX_TRACKED) return undefined;
      return Array.from({ length: size }, (_, i) => start[0]! + i * delta[0]!);
    }
    case 'Constant': {
      const value = node.attributes['value'];
      return value?.type === 'tensor' ? constantShapeValue(out, value.value.data) : undefined;
    }
    default:
      return undefined;
  }
}
