import type { HostTensor } from '../onnx/runtime.ts';

/**
 * Conversions between the pipeline's float32 working arrays and the tensors a session expects,
 * whose element types come from the session's metadata (float32 or float16 activations, int32 or
 * int64 token ids and timesteps).
 */

/** Element types a model may ask for. */
export type FeedDType = HostTensor['dtype'];

/** A float32 array as a tensor of `dtype`: float32 as is, float16 rounded to nearest even, integers truncated toward zero. */
export function floatTensor(values: Float32Array | readonly number[], dims: readonly number[], dtype: FeedDType): HostTensor {
  const source = values instanceof Float32Array ? values : Float32Array.from(values);
  switch (dtype) {
    case 'float32':
      return { dtype, dims, data: source };
    case 'float16':
      return { dtype, dims, data: float32ToFloat16Bits(source) };
    case 'int32':
      return { dtype, dims, data: Int32Array.from(source, (v) => Math.trunc(v)) };
    case 'int64':
      return { dtype, dims, data: BigInt64Array.from(source, (v) => BigInt(Math.trunc(v))) };
  }
}

/** Integer values (token ids) as a tensor of `dtype`. */
export function integerTensor(values: readonly number[], dims: readonly number[], dtype: FeedDType): HostTensor {
  return floatTensor(values, dims, dtype);
}

/** The values of any tensor as float32 (float16 widened exactly, integers converted). */
export function toFloat32(tensor: HostTensor): Float32Array {
  const data = tensor.data;
  if (data instanceof Float32Array) return data;
  if (data instanceof Uint16Array) return float16BitsToFloat32(data);
  if (data instanceof BigInt64Array) return Float32Array.from(data, (v) => Number(v));
  return Float32Array.from(data);
}

/** IEEE 754 binary16 bit patterns of float32 values, rounded to nearest, ties to even. */
export function float32ToFloat16Bits(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i] ?? 0;
    const sign = (x >>> 16) & 0x8000;
    const exponent = (x >>> 23) & 0xff;
    const mantissa = x & 0x7fffff;
    if (exponent === 0xff) {
      out[i] = sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200);
      continue;
    }
    const e = exponent - 112; // rebias from 127 to 15
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      const m = mantissa | 0x800000;
      const shift = 14 - e;
      let half = m >>> shift;
      const rest = m & ((1 << shift) - 1);
      const halfway = 1 << (shift - 1);
      if (rest > halfway || (rest === halfway && (half & 1) === 1)) half += 1;
      out[i] = sign | half;
    } else {
      let half = (e << 10) | (mantissa >>> 13);
      const rest = mantissa & 0x1fff;
      // A carry out of the mantissa correctly bumps the exponent (up to infinity).
      if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half += 1;
      out[i] = sign | half;
    }
  }
  return out;
}

/** float32 values of IEEE 754 binary16 bit patterns (exact). */
export function float16BitsToFloat32(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < halves.length; i++) {
    const h = halves[i] ?? 0;
    const sign = (h & 0x8000) << 16;
    const exponent = (h >>> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) {
      out[i] = (sign === 0 ? 1 : -1) * mantissa * 2 ** -24;
    } else if (exponent === 0x1f) {
      bits[i] = (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
    } else {
      bits[i] = (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
    }
  }
  return out;
}

/** The parts one after another in one new array (or the only part itself). */
export function concatFloat32(parts: readonly Float32Array[]): Float32Array {
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  const out = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
