import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EMPTY_HARD_STATE } from '../raft/types.ts';
import { FileLogStore } from './file-log-store.ts';
import type { FileLogStoreOptions } from './file-log-store.ts';
import { testSupport as t } from './test-support.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function newDir(): Promise<string> {
  const { dir, cleanup } = await t.tempDir();
  cleanups.push(cleanup);
  return dir;
}

async function open(dir: string, extra: Partial<FileLogStoreOptions> = {}) {
  const store = new FileLogStore({ dir, logger: t.silentLogger(), ...extra });
  const state = await store.load();
  cleanups.unshift(() => store.close());
  return { store, state };
}

async function reopen(store: FileLogStore, dir: string, extra: Partial<FileLogStoreOptions> = {}) {
  await store.close();
  return open(dir, extra);
}

describe('FileLogStore', () => {
  it('starts a new node empty', async () => {
    const dir = await newDir();
    const { state } = await open(dir);
    expect(state).toEqual({ hardState: EMPTY_HARD_STATE, entries: [] });
  });

  it('reads back entries, hard state and snapshot after close and reopen', async () => {
    const dir = await newDir();
    const { store } = await open(dir);
    await store.save({ term: 1, vote: 'n1', commit: 0 }, t.entries(1, 5, 1));
    await store.save({ term: 2, vote: 'n2', commit: 3 }, [{ index: 6, term: 2, type: 'conf', data: new Uint8Array([123, 125]) }]);
    await store.saveSnapshot(t.snapshot(3, 1));
    await store.save(undefined, t.entries(7, 8, 2));
    const { state } = await reopen(store, dir);
    expect(state.hardState).toEqual({ term: 2, vote: 'n2', commit: 3 });
    expect(state.snapshot?.metadata).toEqual(t.snapshot(3, 1).metadata);
    expect(Buffer.from(state.snapshot!.data).toString()).toBe('state@3');
    expect(t.describe(state.entries)).toEqual(['4:1:normal:e4t1', '5:1:normal:e5t1', '6:2:conf:{}', '7:2:normal:e7t2', '8:2:normal:e8t2']);
  });

  it('keeps a Raft log truncation (overwrite from a middle index) across a restart', async () => {
    const dir = await newDir();
    const { store } = await open(dir);
    await store.save({ term: 1, vote: 'n1', commit: 2 }, t.entries(1, 10, 1));
    await store.save({ term: 2, vote: 'n3', commit: 2 }, t.entries(6, 7, 2));
    let { store: s2, state } = await reopen(store, dir);
    expect(t.describe(state.entries).map((d) => d.split(':').slice(0, 2).join(':'))).toEqual(['1:1', '2:1', '3:1', '4:1', '5:1', '6:2', '7:2']);
    await s2.save(undefined, [t.entry(8, 2)]);
    ({ state } = await reopen(s2, dir));
    expect(state.entries.map((e) => `${e.index}:${e.term}`)).toEqual(['1:1', '2:1', '3:1', '4:1', '5:1', '6:2', '7:2', '8:2']);
    expect(state.hardState).toEqual({ term: 2, vote: 'n3', commit: 2 });
  });

  it('keeps truncations that reach back into earlier segments', async () => {
    const dir = await newDir();
    const { store } = await open(dir, { segmentBytes: 120 });
    for (let i = 1; i <= 30; i++) await store.save({ term: 1, vote: '', commit: i - 1 }, [t.entry(i, 1)]);
    expect((await readdir(join(dir, 'wal'))).length).toBeGreaterThan(5);
    await store.save(undefined, t.entries(4, 6, 3));
    const { state } = await reopen(store, dir, { segmentBytes: 120 });
    expect(state.entries.map((e) => `${e.index}:${e.term}`)).toEqual(['1:1', '2:1', '3:1', '4:3', '5:3', '6:3']);
    expect(state.hardState.commit).toBe(29);
  });

  it('runs calls issued without awaiting in call order', async () => {
    const dir = await newDir();
    const { store } = await open(dir, { segmentBytes: 500 });
    const pending: Promise<void>[] = [];
    for (let i = 1; i <= 50; i++) pending.push(store.save({ term: 1, vote: 'n1', commit: i - 1 }, [t.entry(i, 1)]));
    pending.push(store.saveSnapshot(t.snapshot(20, 1)));
    pending.push(store.save(undefined, t.entries(45, 46, 2)));
    await Promise.all(pending);
    const { state } = await reopen(store, dir, { segmentBytes: 500 });
    expect(state.snapshot?.metadata.index).toBe(20);
    expect(state.entries.map((e) => e.index)).toEqual(Array.from({ length: 26 }, (_, i) => 21 + i));
    expect(state.entries.at(-1)!.term).toBe(2);
    expect(state.hardState.commit).toBe(49);
  });

  it('compacts: saveSnapshot deletes covered segments, load returns the snapshot and the later entries', async () => {
    const dir = await newDir();
    const { store } = await open(dir, { segmentBytes: 200 });
    for (let i = 1; i <= 100; i++) await store.save({ term: 1, vote: 'n1', commit: i }, [t.entry(i, 1, 40)]);
    const before = (await readdir(join(dir, 'wal'))).length;
    await store.saveSnapshot(t.snapshot(50, 1));
    await store.saveSnapshot(t.snapshot(80, 1));
    const after = await readdir(join(dir, 'wal'));
    expect(before).toBeGreaterThan(40);
    // Only the segments from the one holding entry 51 (after the older retained snapshot) stay.
    expect(after.length).toBeLessThan(before - 20);
    await store.saveSnapshot(t.snapshot(90, 1));
    expect((await readdir(join(dir, 'snap'))).sort()).toEqual(['0000000000000050-0000000000000001.snap', '000000000000005a-0000000000000001.snap']);
    const { state } = await reopen(store, dir, { segmentBytes: 200 });
    expect(state.snapshot?.metadata.index).toBe(90);
    expect(state.entries.map((e) => e.index)).toEqual(Array.from({ length: 10 }, (_, i) => 91 + i));
    expect(state.hardState.commit).toBe(100);
  });

  it('discards the whole log for a snapshot that does not match it, and keeps that after a restart', async () => {
    const dir = await newDir();
    const { store } = await open(dir);
    await store.save({ term: 1, vote: '', commit: 2 }, t.entries(1, 10, 1));
    await store.saveSnapshot(t.snapshot(6, 3)); // the leader's entry 6 has term 3: our 7..10 are from another history
    await store.save({ term: 3, vote: '', commit: 7 }, [t.entry(7, 3)]);
    await store.saveSnapshot(t.snapshot(4, 1)); // older than the stored snapshot: ignored
    const { store: s2, state } = await reopen(store, dir);
    expect(state.snapshot?.metadata).toMatchObject({ index: 6, term: 3 });
    expect(state.entries.map((e) => `${e.index}:${e.term}`)).toEqual(['7:3']);
    await s2.saveSnapshot(t.snapshot(20, 4)); // beyond the log: nothing is kept
    await s2.save(undefined, [t.entry(21, 4)]);
    const { state: s3 } = await reopen(s2, dir);
    expect(s3.snapshot?.metadata.index).toBe(20);
    expect(s3.entries.map((e) => `${e.index}:${e.term}`)).toEqual(['21:4']);
  });

  it('rejects writes that would leave a gap or rewrite compacted entries, and keeps working', async () => {
    const dir = await newDir();
    const { store } = await open(dir);
    await store.save(undefined, t.entries(1, 3, 1));
    await expect(store.save(undefined, [t.entry(5, 1)])).rejects.toThrow(/gap/);
    await store.saveSnapshot(t.snapshot(2, 1));
    await expect(store.save(undefined, [t.entry(2, 2)])).rejects.toThrow(/compacted/);
    await expect(store.save(undefined, [t.entry(4, 1), t.entry(6, 1)])).rejects.toThrow(/contiguous/);
    await expect(store.save(undefined, [{ ...t.entry(4, 1), term: Number.NaN }])).rejects.toThrow(/term of entry 4/);
    await expect(store.save({ term: 1.5, vote: '', commit: 0 }, [])).rejects.toThrow(/hard state term/);
    await store.save({ term: 1, vote: 'n1', commit: 3 }, [t.entry(4, 1)]);
    const { state } = await reopen(store, dir);
    expect(state.entries.map((e) => e.index)).toEqual([3, 4]);
    expect(state.hardState).toEqual({ term: 1, vote: 'n1', commit: 3 });
  });

  it('refuses writes before load and after close', async () => {
    const dir = await newDir();
    const store = new FileLogStore({ dir, logger: t.silentLogger() });
    await expect(store.save(undefined, [t.entry(1, 1)])).rejects.toThrow(/load\(\)/);
    await store.load();
    await store.close();
    await expect(store.save(undefined, [t.entry(1, 1)])).rejects.toThrow(/closed/);
  });

  it('prints the rate of save() calls of one 100-byte entry', async () => {
    const dir = await newDir();
    const { store } = await open(dir);
    const n = 2000;
    const started = performance.now();
    for (let i = 1; i <= n; i++) await store.save({ term: 1, vote: 'n1', commit: i - 1 }, [t.entry(i, 1, 100)]);
    const seconds = (performance.now() - started) / 1000;
    console.log(`FileLogStore: ${Math.round(n / seconds)} save() calls/s (one 100-byte entry each, fdatasync per call, ${dir})`);
    const { state } = await reopen(store, dir);
    expect(state.entries.length).toBe(n);
  });
});
