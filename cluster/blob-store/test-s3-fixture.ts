import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Logger } from '../../config/logger.ts';
import { startEmbeddedS3 } from './embedded-s3.ts';
import type { EmbeddedS3 } from './embedded-s3.ts';
import { S3BlobStore } from './s3-blob-store.ts';
import type { S3BlobStoreOptions } from './s3-blob-store.ts';

/** A logger that drops everything (tests that check logs build their own). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Deterministic randomness in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A real embedded S3 server on a free port in a temp dir, and a store that talks to it. */
export interface TestS3 {
  s3: EmbeddedS3;
  store: S3BlobStore;
  directory: string;
  bucket: string;
  /** A further store on the same server, with other options (closed by `close`). */
  storeWith(options: Partial<S3BlobStoreOptions>): S3BlobStore;
  /** Starts the server again on the same port and directory after `s3.stop()`. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a {@link TestS3}; `close()` stops it and removes its directory. */
export async function startTestS3(options: Partial<S3BlobStoreOptions> = {}): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'teambooth-s3-'));
  const bucket = 'teambooth-test';
  const logger = silentLogger();
  const first = await startEmbeddedS3({ directory, bucket, logger });
  const stores: S3BlobStore[] = [];
  const storeWith = (extra: Partial<S3BlobStoreOptions>) => {
    const store = new S3BlobStore({
      endpoint: first.endpoint,
      region: 'us-east-1',
      bucket,
      forcePathStyle: true,
      credentials: first.credentials,
      logger,
      random: seededRandom(7),
      retry: { initialDelayMs: 10, maxDelayMs: 100, deadlineMs: 2_000 },
      ...extra,
    });
    stores.push(store);
    return store;
  };
  const fixture: TestS3 = {
    s3: first,
    store: storeWith(options),
    directory,
    bucket,
    storeWith,
    restart: async () => {
      fixture.s3 = await startEmbeddedS3({ directory, bucket, logger, port: first.port });
    },
    close: async () => {
      for (const store of stores) store.close();
      await fixture.s3.stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
  return fixture;
}
