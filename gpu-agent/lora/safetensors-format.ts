/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian unsigned header
 * length N, N bytes of UTF-8 JSON (padded with spaces), then the tensor bytes. The header maps
 * each tensor name to `{ dtype, shape, data_offsets: [begin, end] }`, offsets relative to the
 * first byte after the header, plus an optional `__metadata__` map of strings to strings.
 */

/** Element types of the format, with their sizes in bytes. */
export const SAFETENSORS_DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
} as const;

/** One of the format's element types. */
export type SafetensorsDType = keyof typeof SAFETENSORS_DTYPE_BYTES;

/** The key of the metadata entry in the header. */
export const METADATA_KEY = '__metadata__';

/** One tensor: its element type, shape and raw little-endian bytes. */
export interface SafetensorsTensor {
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

/** The content of a safetensors file. */
export interface SafetensorsContent {
  readonly tensors: ReadonlyMap<string, SafetensorsTensor>;
  readonly metadata: Readonly<Record<string, string>>;
}

/** What is wrong with a safetensors file; the message says which part and why. */
export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
}

/** Whether `name` is a dtype of the format. */
export function isSafetensorsDType(name: unknown): name is SafetensorsDType {
  return typeof name === 'string' && Object.hasOwn(SAFETENSORS_DTYPE_BYTES, name);
}

/** A float32 tensor for {@link serializeSafetensors}, without copying `values`. */
export function float32Tensor(values: Float32Array, shape: readonly number[]): SafetensorsTensor {
  const count = shape.reduce((a, b) => a * b, 1);
  if (values.length !== count) throw new SafetensorsError(`${values.length} values do not fill shape [${shape.join(', ')}]`);
  return { dtype: 'F32', shape: [...shape], bytes: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

/**
 * The values of a floating-point tensor as float32 (F32 copied, F16 and BF16 widened exactly,
 * F64 rounded). Throws for integer and 8-bit float tensors, naming the tensor.
 */
export function tensorToFloat32(tensor: SafetensorsTensor, name = 'tensor'): Float32Array {
  const { bytes } = tensor;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.byteLength / SAFETENSORS_DTYPE_BYTES[tensor.dtype];
  const out = new Float32Array(count);
  switch (tensor.dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    case 'BF16': {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToNumber(view.getUint16(i * 2, true));
      return out;
    default:
      throw new SafetensorsError(`"${name}" is ${tensor.dtype}, not a floating-point tensor (F32, F16, BF16 or F64)`);
  }
}

function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
