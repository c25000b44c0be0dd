import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SnapshotChunk__Output } from '../../proto/generated/teambooth/raft/SnapshotChunk.ts';
import { SnapshotAssembler } from './snapshot-assembler.ts';

const DATA = Buffer.from('0123456789abcdefghij');

function header(totalBytes = DATA.length, from = 'n1', to = 'n2'): SnapshotChunk__Output['header'] {
  return {
    message: { type: 'SNAP', from, to, term: 4, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, context: Buffer.alloc(0) },
    metadata: { index: 20, term: 4, conf: { voters: ['n1', 'n2'], learners: [], addresses: { n1: 'a:1', n2: 'b:2' } } },
    totalBytes,
  };
}

function chunk(fields: Partial<SnapshotChunk__Output>): SnapshotChunk__Output {
  return { header: null, offset: 0, data: Buffer.alloc(0), last: false, sha256: Buffer.alloc(0), ...fields };
}

const sha = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

describe('SnapshotAssembler', () => {
  it('yields the snap message only after the last verified chunk', () => {
    const assembler = new SnapshotAssembler('n1', 'n2', 1000);
    expect(assembler.add(chunk({ header: header() }))).toBeUndefined();
    expect(assembler.add(chunk({ offset: 0, data: DATA.subarray(0, 8) }))).toBeUndefined();
    const message = assembler.add(chunk({ offset: 8, data: DATA.subarray(8), last: true, sha256: sha(DATA) }));
    expect(message?.type).toBe('snap');
    expect(message?.from).toBe('n1');
    expect(message?.snapshot?.metadata).toEqual({ index: 20, term: 4, conf: { voters: ['n1', 'n2'], learners: [], addresses: { n1: 'a:1', n2: 'b:2' } } });
    expect(Buffer.from(message!.snapshot!.data).equals(DATA)).toBe(true);
  });

  it('accepts an empty snapshot', () => {
    const assembler = new SnapshotAssembler('n1', 'n2', 1000);
    assembler.add(chunk({ header: header(0) }));
    expect(assembler.add(chunk({ last: true, sha256: sha(Buffer.alloc(0)) }))?.snapshot?.data.length).toBe(0);
  });

  it('refuses a checksum mismatch', () => {
    const assembler = new SnapshotAssembler('n1', 'n2', 1000);
    assembler.add(chunk({ header: header() }));
    expect(() => assembler.add(chunk({ data: DATA, last: true, sha256: sha(Buffer.from('other')) }))).toThrow(/SHA-256/);
  });

  it('refuses gaps, overruns and short snapshots', () => {
    const gap = new SnapshotAssembler('n1', 'n2', 1000);
    gap.add(chunk({ header: header() }));
    gap.add(chunk({ data: DATA.subarray(0, 5) }));
    expect(() => gap.add(chunk({ offset: 6, data: DATA.subarray(6) }))).toThrow(/offset 6, expected 5/);

    const overrun = new SnapshotAssembler('n1', 'n2', 1000);
    overrun.add(chunk({ header: header(4) }));
    expect(() => overrun.add(chunk({ data: DATA }))).toThrow(/past the announced 4/);

    const short = new SnapshotAssembler('n1', 'n2', 1000);
    short.add(chunk({ header: header() }));
    expect(() => short.add(chunk({ data: DATA.subarray(0, 3), last: true, sha256: sha(DATA.subarray(0, 3)) }))).toThrow(/3 of 20 bytes/);
  });

  it('refuses a missing or misaddressed header and an oversized announcement', () => {
    expect(() => new SnapshotAssembler('n1', 'n2', 1000).add(chunk({ data: DATA }))).toThrow(/no header/);
    expect(() => new SnapshotAssembler('n1', 'n2', 1000).add(chunk({ header: header(20, 'n1', 'n3') }))).toThrow(/for n3 but this is n2/);
    expect(() => new SnapshotAssembler('n9', 'n2', 1000).add(chunk({ header: header() }))).toThrow(/from n1 but the call is from n9/);
    expect(() => new SnapshotAssembler('n1', 'n2', 10).add(chunk({ header: header() }))).toThrow(/over the limit of 10/);
  });
});
