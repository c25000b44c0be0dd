import { afterEach, describe, expect, it } from 'vitest';
import type { Entry, HardState } from '../raft/types.ts';
import { FileLogStore } from './file-log-store.ts';
import type { PersistedState } from './log-store.ts';
import { MemoryLogStore } from './memory-log-store.ts';
import { testSupport as t } from './test-support.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function summary(state: PersistedState) {
  return {
    hardState: state.hardState,
    snapshot: state.snapshot ? { ...state.snapshot.metadata, data: Buffer.from(state.snapshot.data).toString() } : undefined,
    entries: t.describe(state.entries),
  };
}

/**
 * Drives the file store and the memory store with the same seeded random history of appends,
 * overwrites, hard states, snapshots (matching, conflicting, stale) and restarts of the file
 * store, and checks after every restart that both read back the same state.
 */
describe.each([1, 2, 3, 4, 5, 6])('LogStore conformance, seed %i', (seed) => {
  it('file store and memory store agree through restarts', async () => {
    const random = t.random(seed);
    const pick = (n: number) => Math.floor(random() * n);
    const { dir, cleanup } = await t.tempDir();
    cleanups.push(cleanup);
    const options = { dir, logger: t.silentLogger(), segmentBytes: 64 + pick(400) };
    let file = new FileLogStore(options);
    cleanups.unshift(() => file.close());
    await file.load();
    const memory = new MemoryLogStore();
    let base = 0;
    let last = 0;
    let term = 1;
    const terms = new Map<number, number>();
    for (let step = 0; step < 150; step++) {
      const roll = random();
      if (roll < 0.6) {
        const from = last > base && random() < 0.25 ? base + 1 + pick(last - base) : last + 1;
        if (random() < 0.3) term++;
        const entries: Entry[] = [];
        for (let i = 0, n = 1 + pick(4); i < n; i++) entries.push(t.entry(from + i, term, pick(30)));
        const hs: HardState | undefined = random() < 0.5 ? { term, vote: random() < 0.5 ? `n${1 + pick(3)}` : '', commit: pick(from) } : undefined;
        await Promise.all([file.save(hs, entries), memory.save(hs, entries)]);
        for (const e of entries) terms.set(e.index, e.term);
        last = from + entries.length - 1;
      } else if (roll < 0.72) {
        const kind = random();
        // Matching (usual), conflicting term, beyond the log, or stale.
        const index = kind < 0.6 && last > base ? base + 1 + pick(last - base) : kind < 0.8 ? last + 1 + pick(5) : Math.max(1, base - pick(3));
        const snapTerm = kind < 0.6 ? (terms.get(index) ?? term) : kind < 0.7 ? term + 1 : term;
        if (snapTerm > term) term = snapTerm;
        const snap = t.snapshot(index, snapTerm, `s${step}`);
        await Promise.all([file.saveSnapshot(snap), memory.saveSnapshot(snap)]);
        const state = await memory.load();
        base = state.snapshot?.metadata.index ?? 0;
        last = base + state.entries.length;
      } else if (roll < 0.8) {
        const hs: HardState = { term, vote: '', commit: pick(last + 1) };
        await Promise.all([file.save(hs, []), memory.save(hs, [])]);
      } else {
        await file.close();
        file = new FileLogStore(options);
        const fromDisk = await file.load();
        expect(summary(fromDisk), `seed ${seed} step ${step}`).toEqual(summary(await memory.load()));
      }
    }
    await file.close();
    file = new FileLogStore(options);
    expect(summary(await file.load())).toEqual(summary(await memory.load()));
  });
});
