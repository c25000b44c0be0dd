import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { StorageError } from '../raft/errors.ts';

/** A held data dir lock. */
export interface DataDirLock {
  /** The lock file, `<dir>/LOCK`, holding the owner's pid. */
  readonly path: string;
  /** Removes the lock file if this process still owns it. Safe to call twice. */
  release(): Promise<void>;
}

/** Injected dependencies of {@link lockDataDir}. */
export interface DataDirLockOptions {
  /** This process's id; process.pid by default. */
  pid?: number;
  /** Whether a process with this id is running; `process.kill(pid, 0)` by default. */
  isAlive?: (pid: number) => boolean;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(path: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(path, 'utf8')).trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Takes the exclusive lock of a data dir, so that two node processes never write one log.
 * The lock file is created whole (written under a temp name, then hard-linked into place,
 * which fails if it exists), so it always holds a pid. A lock whose process is gone is stale
 * and taken over; a live owner, this process included, is refused with a StorageError.
 */
export async function lockDataDir(dir: string, options: DataDirLockOptions = {}): Promise<DataDirLock> {
  const root = resolve(dir);
  const pid = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? processIsAlive;
  const path = join(root, 'LOCK');
  const tmp = join(root, `LOCK.${pid}.tmp`);
  await writeFile(tmp, `${pid}\n`, { flag: 'w' });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(tmp, path);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = await readOwner(path);
      if (owner !== undefined && (owner === pid || isAlive(owner))) {
        const who = owner === pid ? 'this process' : `process ${owner}`;
        throw new StorageError(`data dir ${root} is in use by ${who} (lock file ${path}); stop that node or use another --data-dir`);
      }
      if (attempt >= 2) throw new StorageError(`could not take the lock ${path}: another process keeps replacing it`);
      // Stale: its process is gone (or the file is unreadable). Take it over.
      await rm(path, { force: true });
    }
  } finally {
    await rm(tmp, { force: true });
  }
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      if ((await readOwner(path)) === pid) await rm(path, { force: true });
    },
  };
}
