import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { Entry, Snapshot } from '../raft/types.ts';

/** Helpers shared by the storage tests (not used by production code). */
export const testSupport = {
  /** A logger that drops everything. */
  silentLogger(): Logger {
    return pino({ level: 'silent' });
  },

  /** A fresh temp dir and a function that removes it. */
  async tempDir(prefix = 'teambooth-storage-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
  },

  /** An entry whose data names its index and term, so mixed-up entries show in assertions. */
  entry(index: number, term: number, size = 0): Entry {
    const text = `e${index}t${term}`;
    const data = new Uint8Array(Math.max(size, text.length));
    data.set(Buffer.from(text, 'utf8'));
    return { index, term, type: 'normal', data };
  },

  entries(from: number, to: number, term: number): Entry[] {
    const out: Entry[] = [];
    for (let i = from; i <= to; i++) out.push(testSupport.entry(i, term));
    return out;
  },

  snapshot(index: number, term: number, text = `state@${index}`): Snapshot {
    return {
      metadata: { index, term, conf: { voters: ['n1', 'n2', 'n3'], learners: [], addresses: { n1: '127.0.0.1:7001', n2: '127.0.0.1:7002', n3: '127.0.0.1:7003' } } },
      data: new Uint8Array(Buffer.from(text, 'utf8')),
    };
  },

  /** Entries as `index:term:data` strings, for readable comparisons. */
  describe(entries: readonly Entry[]): string[] {
    return entries.map((e) => `${e.index}:${e.term}:${e.type}:${Buffer.from(e.data).toString('utf8').replace(/\0+$/, '')}`);
  },

  /** Seeded PRNG (mulberry32) returning numbers in [0, 1). */
  random(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  },
};
