import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, readSafetensorsFile } from './parse-safetensors.ts';
import { float32Tensor, SafetensorsError, tensorToFloat32, type SafetensorsTensor } from './safetensors-format.ts';
import { serializeSafetensors } from './serialize-safetensors.ts';

/** A file with a hand-written header (string or object) and `dataBytes` bytes of data. */
function craft(header: unknown, dataBytes: number, headerLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + dataBytes);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.byteLength), true);
  out.set(json, 8);
  return out;
}

const f32 = (name: string, offsets: [number, number], shape: number[] = [(offsets[1] - offsets[0]) / 4]) => ({ [name]: { dtype: 'F32', shape, data_offsets: offsets } });

function rejects(bytes: Uint8Array, message: RegExp, limits = {}): void {
  expect(() => parseSafetensors(bytes, limits)).toThrowError(SafetensorsError);
  expect(() => parseSafetensors(bytes, limits)).toThrowError(message);
}

describe('safetensors', () => {
  const tensors = new Map<string, SafetensorsTensor>([
    ['b.weight', float32Tensor(Float32Array.from([1, -2.5, 3, 4, 5, 6]), [2, 3])],
    ['a.alpha', float32Tensor(Float32Array.from([8]), [])],
    ['c.half', { dtype: 'F16', shape: [2], bytes: new Uint8Array(new Uint16Array([0x3c00, 0xc000]).buffer) }],
    ['d.ids', { dtype: 'I64', shape: [3], bytes: new Uint8Array(new BigInt64Array([1n, -2n, 3n]).buffer) }],
    ['e.empty', float32Tensor(new Float32Array(0), [0, 4])],
    ['__proto__', { dtype: 'U8', shape: [1], bytes: Uint8Array.of(7) }],
  ]);
  const metadata = { ss_network_dim: '4', note: 'héllo', __proto__name: 'x' };

  it('round-trips tensors of every kind and the metadata, byte for byte', () => {
    const bytes = serializeSafetensors(tensors, metadata);
    const parsed = parseSafetensors(bytes);
    expect(parsed.metadata).toEqual(metadata);
    expect([...parsed.tensors.keys()].sort()).toEqual([...tensors.keys()].sort());
    for (const [name, tensor] of tensors) {
      const got = parsed.tensors.get(name)!;
      expect(got.dtype).toBe(tensor.dtype);
      expect(got.shape).toEqual(tensor.shape);
      expect(Buffer.from(got.bytes).equals(Buffer.from(tensor.bytes))).toBe(true);
    }
    expect(Array.from(tensorToFloat32(parsed.tensors.get('b.weight')!))).toEqual([1, -2.5, 3, 4, 5, 6]);
    expect(Array.from(tensorToFloat32(parsed.tensors.get('c.half')!))).toEqual([1, -2]);
    expect(() => tensorToFloat32(parsed.tensors.get('d.ids')!, 'd.ids')).toThrowError(/"d.ids" is I64/);
    expect(serializeSafetensors(tensors, metadata)).toEqual(bytes);
  });

  it('pads the header so the data, and every tensor in it, is aligned', () => {
    const bytes = serializeSafetensors(tensors, metadata);
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    const sizes: Record<string, number> = { I64: 8, F32: 4, F16: 2, U8: 1 };
    for (const [name, entry] of Object.entries(header)) {
      if (name !== '__metadata__') expect(entry.data_offsets[0] % sizes[entry.dtype]!).toBe(0);
    }
  });

  it('reads a file from disk and names the file in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'teambooth-safetensors-'));
    try {
      const good = join(dir, 'good.safetensors');
      await writeFile(good, serializeSafetensors(tensors, metadata));
      expect((await readSafetensorsFile(good)).tensors.size).toBe(tensors.size);
      const bad = join(dir, 'bad.safetensors');
      await writeFile(bad, craft({}, 0, 1n << 40n));
      await expect(readSafetensorsFile(bad)).rejects.toThrowError(/bad\.safetensors.*claims 1099511627776 bytes, more than the limit/);
      const truncated = join(dir, 'cut.safetensors');
      await writeFile(truncated, serializeSafetensors(tensors).subarray(0, 100));
      await expect(readSafetensorsFile(truncated)).rejects.toThrowError(/cut\.safetensors/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe('refuses malicious or broken files', () => {
    it('short files and lying header lengths', () => {
      rejects(new Uint8Array(5), /5 bytes, fewer than the 8-byte header length/);
      rejects(craft({}, 0, 0xffff_ffff_ffff_ffffn), /claims 18446744073709551615 bytes, more than the limit/);
      rejects(craft({}, 0, 5000n), /claims 5000 bytes but the file has only 2/);
      rejects(craft({}, 0, 1n), /too small/);
      rejects(craft(f32('w', [0, 4]), 4), /more than the limit of 10/, { maxHeaderBytes: 10 });
    });

    it('headers that are not a JSON object of the right shape', () => {
      rejects(craft(' {}', 0), /does not start with "\{"/);
      rejects(craft('{"a": ', 0), /not valid JSON/);
      const invalidUtf8 = craft('{"\u00ff": 1}', 0);
      invalidUtf8.set([0xc3, 0x28], 10);
      rejects(invalidUtf8, /not valid UTF-8/);
      rejects(craft({ __metadata__: { a: 1 } }, 0), /"__metadata__.a" must be a string, got 1/);
      rejects(craft({ __metadata__: ['x'] }, 0), /must be an object of strings/);
      rejects(craft({ w: 3 }, 0), /tensor "w": must be an object/);
      rejects(craft({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4], extra: true } }, 4), /unknown field\(s\) extra/);
      rejects(craft({ '': { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4), /empty name/);
    });

    it('unknown dtypes and impossible shapes', () => {
      rejects(craft({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, 16), /tensor "w": unknown dtype "F128"/);
      rejects(craft({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /shape must be an array of non-negative integers, got \[-1\]/);
      rejects(craft({ w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, 4), /non-negative integers/);
      rejects(craft({ w: { dtype: 'F32', shape: '1', data_offsets: [0, 4] } }, 4), /non-negative integers/);
      rejects(craft({ w: { dtype: 'F32', shape: [1, 1, 1, 1, 1, 1, 1, 1, 1], data_offsets: [0, 4] } }, 4), /9 dims, more than the limit of 8/);
      // A shape whose byte count overflows 2^53 must not wrap around to a small number.
      rejects(craft({ w: { dtype: 'F32', shape: [2 ** 40, 2 ** 40, 0x1000], data_offsets: [0, 0] } }, 0), /needs 19807040628566084398385987584 bytes but data_offsets \[0, 0\] span 0/);
      rejects(craft({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 8] } }, 8), /F32 \[2, 2\] needs 16 bytes but data_offsets \[0, 8\] span 8/);
    });

    it('offsets out of range, reversed, overlapping, leaving holes or trailing bytes', () => {
      rejects(craft(f32('w', [0, 8]), 4), /cover 8 data bytes but the file has 4 after the header \(truncated file\?\)/);
      rejects(craft(f32('w', [0, 4]), 12), /cover 4 data bytes but the file has 12 after the header \(trailing bytes\)/);
      rejects(craft({ w: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, 8), /end before they begin/);
      rejects(craft({ w: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, 4), /data_offsets must be \[begin, end\]/);
      rejects(craft({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] } }, 4), /data_offsets must be \[begin, end\]/);
      rejects(craft({ ...f32('a', [0, 8]), ...f32('b', [4, 12]) }, 12), /tensor "b" \[4, 12\) overlaps tensor "a" \[0, 8\)/);
      rejects(craft({ ...f32('a', [0, 4]), ...f32('b', [8, 12]) }, 12), /data bytes \[4, 8\) before tensor "b" belong to no tensor/);
      rejects(craft(f32('a', [4, 8]), 8), /data bytes \[0, 4\) before tensor "a"/);
    });

    it('too many tensors', () => {
      const header = Object.assign({}, ...Array.from({ length: 5 }, (_, i) => f32(`t${i}`, [4 * i, 4 * i + 4])));
      expect(parseSafetensors(craft(header, 20)).tensors.size).toBe(5);
      rejects(craft(header, 20), /lists 5 tensors, more than the limit of 4/, { maxTensors: 4 });
    });
  });

  it('refuses to serialize tensors whose bytes do not match their shape', () => {
    expect(() => serializeSafetensors({ w: { dtype: 'F32', shape: [3], bytes: new Uint8Array(8) } })).toThrowError(/tensor "w": F32 \[3\] needs 12 bytes, got 8/);
    expect(() => float32Tensor(new Float32Array(3), [2, 2])).toThrowError(/3 values do not fill shape \[2, 2\]/);
  });
});
