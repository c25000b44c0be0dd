import { describe, expect, it } from 'vitest';
import { crc32, createTableCrc32 } from './crc32.ts';
import { testSupport as t } from './test-support.ts';

describe('crc32', () => {
  it('matches the standard check value', () => {
    const check = new Uint8Array(Buffer.from('123456789', 'latin1'));
    expect(crc32(check)).toBe(0xcbf43926);
    expect(createTableCrc32()(check)).toBe(0xcbf43926);
  });

  it('gives the same results with the table fallback, also when continued in pieces', () => {
    const table = createTableCrc32();
    const random = t.random(7);
    for (let n = 0; n < 50; n++) {
      const data = new Uint8Array(Math.floor(random() * 300));
      for (let i = 0; i < data.length; i++) data[i] = Math.floor(random() * 256);
      const cut = Math.floor(random() * (data.length + 1));
      expect(table(data)).toBe(crc32(data));
      expect(table(data.subarray(cut), table(data.subarray(0, cut)))).toBe(crc32(data));
    }
  });
});
