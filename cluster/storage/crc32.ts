import * as zlib from 'node:zlib';

/** Computes CRC-32 (IEEE 802.3, the zlib polynomial) of `data`, continuing from `previous` (0 to start). */
export type Crc32 = (data: Uint8Array, previous?: number) => number;

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** Table-driven CRC-32 for Node versions without `zlib.crc32` (added in 20.15). */
export function createTableCrc32(): Crc32 {
  const table = buildTable();
  return (data, previous = 0) => {
    let c = ~previous >>> 0;
    for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
    return ~c >>> 0;
  };
}

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/**
 * CRC-32 of `data`, continuing from `previous`. Uses node:zlib's native implementation when the
 * runtime has it, else a table-driven one; both give identical results.
 */
export const crc32: Crc32 = typeof native === 'function' ? (data, previous = 0) => native(data, previous) : createTableCrc32();
