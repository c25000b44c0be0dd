import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageError } from '../raft/errors.ts';
import { openDataDir } from './data-dir.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { testSupport as t } from './test-support.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function newDir(): Promise<string> {
  const { dir, cleanup } = await t.tempDir();
  cleanups.push(cleanup);
  return join(dir, 'node');
}

const ids = () => {
  let n = 0;
  return () => `cluster-${++n}`;
};

describe('openDataDir', () => {
  it('creates the dir and meta.json on first use, then recognises it', async () => {
    const dir = await newDir();
    expect(await openDataDir(dir, { nodeId: 'n1' }, { randomUUID: ids() })).toEqual({ clusterId: 'cluster-1', created: true });
    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8'));
    expect(meta).toEqual({ formatVersion: 1, clusterId: 'cluster-1', nodeId: 'n1' });
    expect(await openDataDir(dir, { nodeId: 'n1' })).toEqual({ clusterId: 'cluster-1', created: false });
    expect(await openDataDir(dir, { nodeId: 'n1', clusterId: 'cluster-1' })).toEqual({ clusterId: 'cluster-1', created: false });
  });

  it('uses the given cluster id for a new dir', async () => {
    const dir = await newDir();
    expect(await openDataDir(dir, { nodeId: 'n2', clusterId: 'abc' })).toEqual({ clusterId: 'abc', created: true });
  });

  it("refuses another node's data dir, saying whose it is and what to change", async () => {
    const dir = await newDir();
    await openDataDir(dir, { nodeId: 'n2', clusterId: 'c-one' });
    const err = await openDataDir(dir, { nodeId: 'n1', clusterId: 'c-one' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as Error).message).toContain(`data dir ${dir} belongs to node n2 of cluster c-one, but this node is n1 (cluster c-one); use another --data-dir`);
  });

  it('refuses a data dir of another cluster', async () => {
    const dir = await newDir();
    await openDataDir(dir, { nodeId: 'n1', clusterId: 'c-one' });
    await expect(openDataDir(dir, { nodeId: 'n1', clusterId: 'c-two' })).rejects.toThrow(
      `data dir ${dir} belongs to node n1 of cluster c-one, but this node is n1 (cluster c-two); use another --data-dir`,
    );
  });

  it('refuses a damaged meta.json, naming the file and the bad field', async () => {
    const dir = await newDir();
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'meta.json'), JSON.stringify({ formatVersion: 1, clusterId: 'c' }));
    await expect(openDataDir(dir, { nodeId: 'n1' })).rejects.toThrow(new RegExp(`${join(dir, 'meta.json')} is not a valid.*nodeId`));
  });

  it('refuses a dir that has a log but lost its meta.json', async () => {
    const dir = await newDir();
    await mkdir(join(dir, 'wal'), { recursive: true });
    await writeFile(join(dir, 'wal', '0000000000000000-0000000000000001.wal'), 'x');
    await expect(openDataDir(dir, { nodeId: 'n1' })).rejects.toThrow(/no meta\.json/);
  });
});

describe('lockDataDir', () => {
  it('lets one holder in and refuses a second one while the first is alive', async () => {
    const dir = await newDir();
    await mkdir(dir, { recursive: true });
    const lock = await lockDataDir(dir);
    expect((await readFile(lock.path, 'utf8')).trim()).toBe(String(process.pid));
    await expect(lockDataDir(dir)).rejects.toThrow(`data dir ${dir} is in use by this process`);
    await expect(lockDataDir(dir, { pid: 4242, isAlive: () => true })).rejects.toThrow(`in use by process ${process.pid}`);
    await lock.release();
    const next = await lockDataDir(dir, { pid: 4242, isAlive: () => true });
    expect((await readFile(next.path, 'utf8')).trim()).toBe('4242');
    await next.release();
  });

  it('takes over a lock whose process is gone', async () => {
    const dir = await newDir();
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'LOCK'), '999999\n');
    const lock = await lockDataDir(dir, { isAlive: (pid) => pid !== 999999 });
    expect((await readFile(lock.path, 'utf8')).trim()).toBe(String(process.pid));
    await lock.release();
    await lock.release();
  });
});
