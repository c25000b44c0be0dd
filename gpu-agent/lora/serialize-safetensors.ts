import { METADATA_KEY, SAFETENSORS_DTYPE_BYTES, SafetensorsError, type SafetensorsTensor } from './safetensors-format.ts';

/** The data section starts at a multiple of this, so every tensor is aligned to its element size. */
const ALIGNMENT = 8;

/**
 * Serializes tensors and string metadata to the safetensors format. Tensors are laid out by
 * element size (largest first), then by name, and the JSON header is padded with spaces to a
 * multiple of 8 bytes, so every tensor starts at a multiple of its element size and the same
 * input always gives the same bytes.
 */
export function serializeSafetensors(tensors: ReadonlyMap<string, SafetensorsTensor> | Readonly<Record<string, SafetensorsTensor>>, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const entries: [string, SafetensorsTensor][] = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  for (const [name, tensor] of entries) {
    if (name === '' || name === METADATA_KEY) throw new SafetensorsError(`"${name}" cannot name a tensor`);
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    const expected = count * SAFETENSORS_DTYPE_BYTES[tensor.dtype];
    if (tensor.bytes.byteLength !== expected) {
      throw new SafetensorsError(`tensor "${name}": ${tensor.dtype} [${tensor.shape.join(', ')}] needs ${expected} bytes, got ${tensor.bytes.byteLength}`);
    }
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new SafetensorsError(`metadata "${key}" must be a string`);
  }
  entries.sort(([a, x], [b, y]) => SAFETENSORS_DTYPE_BYTES[y.dtype] - SAFETENSORS_DTYPE_BYTES[x.dtype] || (a < b ? -1 : a > b ? 1 : 0));
  // A null prototype, so a tensor named "__proto__" is an ordinary key.
  const header: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = Object.fromEntries(Object.entries(metadata).sort(([a], [b]) => (a < b ? -1 : 1)));
  let offset = 0;
  for (const [name, tensor] of entries) {
    header[name] = { dtype: tensor.dtype, shape: [...tensor.shape], data_offsets: [offset, offset + tensor.bytes.byteLength] };
    offset += tensor.bytes.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil((8 + json.byteLength) / ALIGNMENT) * ALIGNMENT - 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength);
  let at = 8 + headerLength;
  for (const [, tensor] of entries) {
    out.set(tensor.bytes, at);
    at += tensor.bytes.byteLength;
  }
  return out;
}
