import type { DType, TensorData } from './ir.ts';

/** Facts about one element type: its ONNX `TensorProto.DataType` code and its storage. */
export interface DTypeInfo {
  readonly code: number;
  readonly bytes: number;
  readonly create: (length: number) => TensorData;
  readonly view: (buffer: ArrayBuffer, byteOffset: number, length: number) => TensorData;
}

/** Element type facts, keyed by {@link DType}. ONNX stores raw data little-endian, as every supported host does. */
export const DTYPES: Readonly<Record<DType, DTypeInfo>> = {
  float32: { code: 1, bytes: 4, create: (n) => new Float32Array(n), view: (b, o, n) => new Float32Array(b, o, n) },
  bool: { code: 9, bytes: 1, create: (n) => new Uint8Array(n), view: (b, o, n) => new Uint8Array(b, o, n) },
  int32: { code: 6, bytes: 4, create: (n) => new Int32Array(n), view: (b, o, n) => new Int32Array(b, o, n) },
  int64: { code: 7, bytes: 8, create: (n) => new BigInt64Array(n), view: (b, o, n) => new BigInt64Array(b, o, n) },
  float16: { code: 10, bytes: 2, create: (n) => new Uint16Array(n), view: (b, o, n) => new Uint16Array(b, o, n) },
  float64: { code: 11, bytes: 8, create: (n) => new Float64Array(n), view: (b, o, n) => new Float64Array(b, o, n) },
};

/** The {@link DType} of an ONNX `TensorProto.DataType` code; throws for types the IR does not support. */
export function dtypeFromCode(code: number): DType {
  for (const [dtype, info] of Object.entries(DTYPES)) if (info.code === code) return dtype as DType;
  throw new Error(`unsupported ONNX element type ${code} (supported: ${Object.keys(DTYPES).join(', ')})`);
}

/** Whether values of this type take part in floating-point arithmetic. */
export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16';
}

/** The bytes of a tensor's storage, without copying. */
export function tensorBytes(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Copies raw little-endian bytes into fresh storage of `dtype` (copying also fixes alignment). */
export function tensorFromBytes(dtype: DType, bytes: Uint8Array): TensorData {
  const info = DTYPES[dtype];
  if (bytes.byteLength % info.bytes !== 0) throw new Error(`${bytes.byteLength} bytes are not a whole number of ${dtype} elements`);
  const copy = new Uint8Array(bytes);
  return info.view(copy.buffer, 0, bytes.byteLength / info.bytes);
}
