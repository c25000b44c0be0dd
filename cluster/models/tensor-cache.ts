import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../config/logger.ts';
import { sha256Hex as sha256 } from '../blob-store/s3-blob-store.ts';
import { isSha256Hex } from '../blob-store/s3-keys.ts';
import type { FetchTensor } from './tensor-ports.ts';

/** Options of {@link TensorCache.open}. */
export interface TensorCacheOptions {
  /** Folder of the cache files (`<sha256>` each); created when absent. */
  directory: string;
  /** Bytes the cached files may take together; the least recently used go first. */
  maxBytes: number;
  /** Where a miss is fetched from (presigned GETs on an agent, `ContentStore.getVerified` in tests). */
  fetch: FetchTensor;
  logger: Logger;
}

/**
 * A least-recently-used cache of tensors on local disk, keyed by sha-256, so that an agent moving
 * from one model version to the next downloads only the tensors the merge changed. Every read is
 * checked against its hash: a corrupted or truncated file is deleted and fetched again, never
 * served. Recency lives in memory; after a restart the files count as used in the order they were
 * written. Files appear by rename, so a crash leaves no half-written entry.
 */
export class TensorCache {
  readonly #options: TensorCacheOptions;
  /** Cached files by hash with their sizes, least recently used first (Map keeps insertion order). */
  readonly #entries: Map<string, number>;
  readonly #inFlight = new Map<string, Promise<Uint8Array>>();
  #usedBytes: number;
  #temporaries = 0;

  private constructor(options: TensorCacheOptions, entries: Map<string, number>) {
    this.#options = options;
    this.#entries = entries;
    this.#usedBytes = [...entries.values()].reduce((a, b) => a + b, 0);
  }

  /** Opens (or creates) a cache folder, adopting the files already there and removing leftovers of interrupted writes. */
  static async open(options: TensorCacheOptions): Promise<TensorCache> {
    if (!(options.maxBytes >= 0)) throw new RangeError(`maxBytes must be a non-negative number of bytes (got ${options.maxBytes})`);
    await mkdir(options.directory, { recursive: true });
    const found: { hash: string; size: number; mtimeMs: number }[] = [];
    for (const name of await readdir(options.directory)) {
      const path = join(options.directory, name);
      if (!isSha256Hex(name)) {
        if (name.startsWith('.partial-')) await rm(path, { force: true });
        continue;
      }
      const info = await stat(path);
      found.push({ hash: name, size: info.size, mtimeMs: info.mtimeMs });
    }
    found.sort((a, b) => a.mtimeMs - b.mtimeMs);
    const cache = new TensorCache(options, new Map(found.map((f) => [f.hash, f.size])));
    await cache.#evict(undefined);
    return cache;
  }

  /** Bytes the cached files take now. */
  get usedBytes(): number {
    return this.#usedBytes;
  }

  /** Whether a tensor is cached (without checking its file). */
  has(hash: string): boolean {
    return this.#entries.has(hash);
  }

  /** The tensor's bytes, verified, from disk or else fetched (and cached when it fits the budget). */
  get(hash: string, signal?: AbortSignal): Promise<Uint8Array> {
    if (!isSha256Hex(hash)) return Promise.reject(new TypeError(`tensor hash must be 64 lowercase hex digits (got ${JSON.stringify(hash)})`));
    const pending = this.#inFlight.get(hash);
    if (pending !== undefined) return pending;
    const result = this.#get(hash, signal).finally(() => this.#inFlight.delete(hash));
    this.#inFlight.set(hash, result);
    return result;
  }

  async #get(hash: string, signal: AbortSignal | undefined): Promise<Uint8Array> {
    const path = join(this.#options.directory, hash);
    if (this.#entries.has(hash)) {
      const bytes = await readFile(path).catch(() => undefined);
      if (bytes !== undefined && sha256(bytes) === hash) {
        this.#entries.delete(hash);
        this.#entries.set(hash, bytes.byteLength);
        return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      }
      this.#options.logger.warn({ hash, path }, 'cached tensor is missing or does not match its hash; fetching it again');
      this.#forget(hash);
      await rm(path, { force: true });
    }
    const bytes = await this.#options.fetch(hash, signal);
    const actual = sha256(bytes);
    if (actual !== hash) throw new Error(`the tensor fetched for ${hash} hashes to ${actual}; refusing to cache or use it (the source is corrupt)`);
    if (bytes.byteLength > this.#options.maxBytes) return bytes;
    const temporary = join(this.#options.directory, `.partial-${hash}-${this.#temporaries++}`);
    await writeFile(temporary, bytes);
    await rename(temporary, path);
    this.#entries.set(hash, bytes.byteLength);
    this.#usedBytes += bytes.byteLength;
    await this.#evict(hash);
    return bytes;
  }

  /** Deletes least recently used files until the budget holds, sparing `keep`. */
  async #evict(keep: string | undefined): Promise<void> {
    for (const [hash] of this.#entries) {
      if (this.#usedBytes <= this.#options.maxBytes) return;
      if (hash === keep) continue;
      this.#forget(hash);
      await rm(join(this.#options.directory, hash), { force: true });
    }
  }

  #forget(hash: string): void {
    this.#usedBytes -= this.#entries.get(hash) ?? 0;
    this.#entries.delete(hash);
  }
}
