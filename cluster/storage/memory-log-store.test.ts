import { describe, expect, it } from 'vitest';
import { EMPTY_HARD_STATE } from '../raft/types.ts';
import { MemoryLogStore } from './memory-log-store.ts';
import { testSupport as t } from './test-support.ts';

describe('MemoryLogStore', () => {
  it('starts empty', async () => {
    expect(await new MemoryLogStore().load()).toEqual({ hardState: EMPTY_HARD_STATE, entries: [] });
  });

  it('overwrites from a middle index and keeps the matching suffix after a snapshot', async () => {
    const store = new MemoryLogStore();
    await store.save({ term: 1, vote: 'n1', commit: 0 }, t.entries(1, 6, 1));
    await store.save({ term: 2, vote: 'n2', commit: 3 }, t.entries(4, 5, 2));
    await store.saveSnapshot(t.snapshot(4, 2));
    const state = await store.load();
    expect(state.snapshot?.metadata.index).toBe(4);
    expect(state.entries.map((e) => `${e.index}:${e.term}`)).toEqual(['5:2']);
    expect(state.hardState).toEqual({ term: 2, vote: 'n2', commit: 3 });
  });

  it('drops a log that conflicts with the snapshot and ignores stale snapshots', async () => {
    const store = new MemoryLogStore();
    await store.save(undefined, t.entries(1, 6, 1));
    await store.saveSnapshot(t.snapshot(3, 2));
    expect((await store.load()).entries).toEqual([]);
    await store.saveSnapshot(t.snapshot(2, 1));
    expect((await store.load()).snapshot?.metadata.index).toBe(3);
    await expect(store.save(undefined, [t.entry(6, 2)])).rejects.toThrow(/gap/);
  });

  it('clone() copies the durable state; later writes to either do not leak into the other', async () => {
    const store = new MemoryLogStore();
    await store.save({ term: 1, vote: 'n1', commit: 1 }, t.entries(1, 3, 1));
    const copy = store.clone();
    await store.save({ term: 2, vote: '', commit: 2 }, t.entries(2, 4, 2));
    await copy.save(undefined, [t.entry(4, 1)]);
    expect((await copy.load()).entries.map((e) => `${e.index}:${e.term}`)).toEqual(['1:1', '2:1', '3:1', '4:1']);
    expect((await copy.load()).hardState).toEqual({ term: 1, vote: 'n1', commit: 1 });
    expect((await store.load()).entries.map((e) => `${e.index}:${e.term}`)).toEqual(['1:1', '2:2', '3:2', '4:2']);
  });

  it('load() returns copies that callers may change freely', async () => {
    const store = new MemoryLogStore();
    await store.save({ term: 1, vote: '', commit: 0 }, t.entries(1, 2, 1));
    const first = await store.load();
    first.entries.pop();
    first.hardState.term = 99;
    const second = await store.load();
    expect(second.entries).toHaveLength(2);
    expect(second.hardState.term).toBe(1);
  });
});
