import { cp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageError } from '../raft/errors.ts';
import { FileLogStore } from './file-log-store.ts';
import { writeSnapshotFile } from './snapshot-file.ts';
import { encodeRecords } from './wal-codec.ts';
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

function store(dir: string, segmentBytes?: number): FileLogStore {
  const s = new FileLogStore({ dir, logger: t.silentLogger(), ...(segmentBytes ? { segmentBytes } : {}) });
  cleanups.unshift(() => s.close());
  return s;
}

async function segments(dir: string): Promise<string[]> {
  return (await readdir(join(dir, 'wal'))).sort().map((n) => join(dir, 'wal', n));
}

async function flipByte(path: string, offset: number): Promise<void> {
  const buf = await readFile(path);
  buf[offset] = buf[offset]! ^ 0x40;
  await writeFile(path, buf);
}

describe('FileLogStore recovery', () => {
  it('truncates a torn last record at every cut point, loads the prefix, and appends after it', async () => {
    const pristine = await newDir();
    const s = store(pristine);
    await s.load();
    await s.save({ term: 1, vote: 'n1', commit: 1 }, t.entries(1, 3, 1));
    const last = t.entry(4, 1, 24);
    await s.save(undefined, [last]);
    await s.close();
    const [file] = await segments(pristine);
    const size = (await readFile(file!)).length;
    const recordStart = size - encodeRecords([{ type: 'entry', entry: last }]).length;

    for (let cut = recordStart; cut < size; cut++) {
      const dir = await newDir();
      await cp(pristine, dir, { recursive: true });
      await truncate(join(dir, 'wal', file!.split('/').at(-1)!), cut);
      const a = store(dir);
      const state = await a.load();
      expect(state.entries.map((e) => e.index), `cut at ${cut}`).toEqual([1, 2, 3]);
      expect(state.hardState).toEqual({ term: 1, vote: 'n1', commit: 1 });
      await a.save({ term: 2, vote: 'n2', commit: 3 }, [t.entry(4, 2)]);
      await a.close();
      const b = store(dir);
      const again = await b.load();
      expect(t.describe(again.entries).at(-1), `cut at ${cut}`).toBe('4:2:normal:e4t2');
      expect(again.hardState).toEqual({ term: 2, vote: 'n2', commit: 3 });
      await b.close();
    }
  });

  it('treats a damaged final record followed only by zero bytes as torn', async () => {
    const dir = await newDir();
    const s = store(dir);
    await s.load();
    await s.save(undefined, t.entries(1, 3, 1));
    await s.close();
    const [file] = await segments(dir);
    const buf = await readFile(file!);
    buf[buf.length - 2] = buf[buf.length - 2]! ^ 0xff;
    await writeFile(file!, Buffer.concat([buf, Buffer.alloc(4096)]));
    const state = await store(dir).load();
    expect(state.entries.map((e) => e.index)).toEqual([1, 2]);
    expect((await readFile(file!)).length).toBeLessThan(buf.length);
  });

  it('refuses to start when an earlier record is corrupt, naming the file and the offset', async () => {
    const dir = await newDir();
    const s = store(dir);
    await s.load();
    for (let i = 1; i <= 5; i++) await s.save(undefined, [t.entry(i, 1)]);
    await s.close();
    const [file] = await segments(dir);
    const size = (await readFile(file!)).length;
    const recordBytes = encodeRecords([{ type: 'entry', entry: t.entry(1, 1) }]).length;
    const secondEntry = size - 4 * recordBytes;
    await flipByte(file!, secondEntry + 20);
    const err = await store(dir).load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as Error).message).toContain(file!);
    expect((err as Error).message).toContain(`offset ${secondEntry}`);
    expect((err as Error).message).toMatch(/restore the data dir|re-add/);
    // Nothing was repaired away: the file still has every record.
    expect((await readFile(file!)).length).toBe(size);
  });

  it('refuses to start when the last record of a non-final segment is damaged', async () => {
    const dir = await newDir();
    const s = store(dir, 100);
    await s.load();
    for (let i = 1; i <= 12; i++) await s.save(undefined, [t.entry(i, 1)]);
    await s.close();
    const files = await segments(dir);
    expect(files.length).toBeGreaterThan(2);
    const size = (await readFile(files[0]!)).length;
    await truncate(files[0]!, size - 3);
    await expect(store(dir, 100).load()).rejects.toThrow(new RegExp(`${files[0]!}.*not the last one`));
  });

  it('detects a missing middle segment instead of silently skipping its entries', async () => {
    const dir = await newDir();
    const s = store(dir, 100);
    await s.load();
    for (let i = 1; i <= 12; i++) await s.save(undefined, [t.entry(i, 1)]);
    await s.close();
    const files = await segments(dir);
    await rm(files[2]!);
    await expect(store(dir, 100).load()).rejects.toThrow(StorageError);
  });

  it('uses a snapshot whose file was written but whose log marker was not (crash in between)', async () => {
    const dir = await newDir();
    const s = store(dir);
    await s.load();
    await s.save({ term: 1, vote: '', commit: 8 }, t.entries(1, 10, 1));
    await s.close();
    await writeSnapshotFile(join(dir, 'snap'), t.snapshot(8, 1));
    const a = store(dir);
    expect((await a.load()).entries.map((e) => e.index)).toEqual([9, 10]);
    await a.save(undefined, [t.entry(11, 1)]);
    await a.close();
    const state = await store(dir).load();
    expect(state.snapshot?.metadata.index).toBe(8);
    expect(state.entries.map((e) => e.index)).toEqual([9, 10, 11]);
  });

  it('falls back to the previous snapshot when the newest file is corrupt and the log still covers the gap', async () => {
    const dir = await newDir();
    const s = store(dir, 150);
    await s.load();
    for (let i = 1; i <= 40; i++) await s.save({ term: 1, vote: '', commit: i }, [t.entry(i, 1)]);
    await s.saveSnapshot(t.snapshot(10, 1));
    await s.saveSnapshot(t.snapshot(30, 1));
    await s.close();
    const newest = join(dir, 'snap', '000000000000001e-0000000000000001.snap');
    await flipByte(newest, 30);
    const a = store(dir, 150);
    const state = await a.load();
    expect(state.snapshot?.metadata.index).toBe(10);
    expect(state.entries.map((e) => e.index)).toEqual(Array.from({ length: 30 }, (_, i) => 11 + i));
    expect(await readdir(join(dir, 'snap'))).toContain('000000000000001e-0000000000000001.snap.corrupt');
    // Life goes on: snapshots below and above the damaged one, appends and restarts work.
    await a.saveSnapshot(t.snapshot(20, 1));
    await a.save({ term: 1, vote: '', commit: 41 }, [t.entry(41, 1)]);
    await a.close();
    const b = store(dir, 150);
    const mid = await b.load();
    expect(mid.snapshot?.metadata.index).toBe(20);
    expect(mid.entries.map((e) => e.index)).toEqual(Array.from({ length: 21 }, (_, i) => 21 + i));
    await b.saveSnapshot(t.snapshot(35, 1));
    await b.close();
    const again = await store(dir, 150).load();
    expect(again.snapshot?.metadata.index).toBe(35);
    expect(again.entries.map((e) => e.index)).toEqual([36, 37, 38, 39, 40, 41]);
    expect(again.hardState.commit).toBe(41);
  });

  it('refuses to start when the newest snapshot is corrupt and the log cannot bridge to the previous one', async () => {
    const dir = await newDir();
    const s = store(dir);
    await s.load();
    await s.save(undefined, t.entries(1, 5, 1));
    await s.saveSnapshot(t.snapshot(3, 1));
    await s.saveSnapshot(t.snapshot(10, 2)); // installed from a leader: the local log is discarded
    await s.close();
    const newest = join(dir, 'snap', '000000000000000a-0000000000000002.snap');
    await flipByte(newest, 12);
    const err = await store(dir).load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as Error).message).toContain(newest);
    expect((err as Error).message).toMatch(/cannot bridge/);
  });

  it('removes segments left behind by an interrupted compaction', async () => {
    const dir = await newDir();
    const s = store(dir, 100);
    await s.load();
    for (let i = 1; i <= 20; i++) await s.save(undefined, [t.entry(i, 1)]);
    const [oldest] = await segments(dir);
    const saved = await readFile(oldest!);
    await s.saveSnapshot(t.snapshot(15, 1));
    await s.close();
    const kept = await segments(dir);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept).not.toContain(oldest);
    // A crash after only some of the deletions reached the disk leaves an old segment behind.
    await writeFile(oldest!, saved);
    const state = await store(dir, 100).load();
    expect(state.snapshot?.metadata.index).toBe(15);
    expect(state.entries.map((e) => e.index)).toEqual([16, 17, 18, 19, 20]);
    expect(await segments(dir)).toEqual(kept);
  });
});
