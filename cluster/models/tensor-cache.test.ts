import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../blob-store/s3-blob-store.ts';
import { silentLogger } from '../blob-store/test-s3-fixture.ts';
import { TensorCache } from './tensor-cache.ts';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teambooth-cache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A source of `count` 100-byte tensors that counts fetches per hash. */
function source(count: number) {
  const byHash = new Map<string, Uint8Array>();
  for (let i = 0; i < count; i++) {
    const bytes = new Uint8Array(100).fill(i + 1);
    byHash.set(sha256Hex(bytes), bytes);
  }
  const fetches: string[] = [];
  const fetch = async (hash: string) => {
    fetches.push(hash);
    const bytes = byHash.get(hash);
    if (bytes === undefined) throw new Error(`no tensor ${hash}`);
    return bytes.slice();
  };
  return { hashes: [...byHash.keys()], fetch, fetches };
}

describe('TensorCache', () => {
  it('serves hits from disk and evicts the least recently used beyond the byte budget', async () => {
    const { hashes, fetch, fetches } = source(4);
    const [a, b, c, d] = hashes as [string, string, string, string];
    const cache = await TensorCache.open({ directory: dir, maxBytes: 300, fetch, logger: silentLogger() });
    await cache.get(a);
    await cache.get(b);
    await cache.get(c);
    expect(await cache.get(a)).toEqual(new Uint8Array(100).fill(1));
    expect(fetches).toEqual([a, b, c]);
    await cache.get(d); // over budget: b is now the least recently used
    expect([cache.has(a), cache.has(b), cache.has(c), cache.has(d)]).toEqual([true, false, true, true]);
    expect(cache.usedBytes).toBe(300);
    expect((await readdir(dir)).sort()).toEqual([a, c, d].sort());
  });

  it('refetches a cached file that was corrupted, and never serves it', async () => {
    const { hashes, fetch, fetches } = source(1);
    const hash = hashes[0]!;
    const cache = await TensorCache.open({ directory: dir, maxBytes: 1000, fetch, logger: silentLogger() });
    await cache.get(hash);
    await writeFile(join(dir, hash), new Uint8Array(100).fill(9));
    expect(await cache.get(hash)).toEqual(new Uint8Array(100).fill(1));
    expect(fetches).toEqual([hash, hash]);
    expect(await cache.get(hash)).toEqual(new Uint8Array(100).fill(1));
    expect(fetches).toHaveLength(2);
  });

  it('adopts the files of an earlier run within the budget and drops partial writes', async () => {
    const { hashes, fetch, fetches } = source(3);
    const first = await TensorCache.open({ directory: dir, maxBytes: 1000, fetch, logger: silentLogger() });
    for (const hash of hashes) await first.get(hash);
    await writeFile(join(dir, '.partial-x-0'), 'half');
    const second = await TensorCache.open({ directory: dir, maxBytes: 250, fetch, logger: silentLogger() });
    expect(second.usedBytes).toBe(200);
    expect(await readdir(dir)).not.toContain('.partial-x-0');
    const kept = hashes.filter((h) => second.has(h));
    expect(kept).toHaveLength(2);
    for (const hash of kept) await second.get(hash);
    expect(fetches).toHaveLength(3);
  });

  it('fetches a tensor once for concurrent readers, skips caching one larger than the budget, and refuses bad bytes', async () => {
    const { hashes, fetch, fetches } = source(1);
    const cache = await TensorCache.open({ directory: dir, maxBytes: 50, fetch, logger: silentLogger() });
    await Promise.all([cache.get(hashes[0]!), cache.get(hashes[0]!)]);
    expect(fetches).toHaveLength(1);
    expect(cache.usedBytes).toBe(0);
    const liar = await TensorCache.open({ directory: dir, maxBytes: 1000, fetch: async () => new Uint8Array(3), logger: silentLogger() });
    await expect(liar.get(hashes[0]!)).rejects.toThrow(/hashes to .*; refusing to cache or use it/);
    await expect(liar.get('nope')).rejects.toThrow(/64 lowercase hex digits/);
  });
});
