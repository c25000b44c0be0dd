import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobIntegrityError, BlobNotFoundError } from './blob-store-errors.ts';
import { ContentStore } from './content-store.ts';
import { sha256Hex } from './s3-blob-store.ts';
import { silentLogger, startTestS3 } from './test-s3-fixture.ts';
import type { TestS3 } from './test-s3-fixture.ts';

let t: TestS3;
let tensors: ContentStore;
beforeAll(async () => {
  t = await startTestS3();
  tensors = new ContentStore({ blobs: t.store, logger: silentLogger() });
});
afterAll(async () => {
  await t.close();
});

const tensor = (seed: number) => new Uint8Array(new Float32Array(64).map((_, i) => Math.sin(seed + i)).buffer);

describe('ContentStore', () => {
  it('stores a tensor under tensors/sha256/<2 hex>/<hash> and reads it back verified', async () => {
    const bytes = tensor(1);
    const hash = await tensors.putIfAbsent(bytes);
    expect(hash).toBe(sha256Hex(bytes));
    expect(tensors.keyOf(hash)).toBe(`tensors/sha256/${hash.slice(0, 2)}/${hash}`);
    expect((await t.store.head(tensors.keyOf(hash))).sha256).toBe(hash);
    expect(await tensors.getVerified(hash)).toEqual(bytes);
    expect(await tensors.has(hash)).toBe(true);
  });

  it('skips the upload when the tensor is already stored', async () => {
    const bytes = tensor(2);
    const hash = await tensors.putIfAbsent(bytes);
    const before = await t.store.head(tensors.keyOf(hash));
    // Count uploads through a proxy of the blob store.
    let puts = 0;
    const counting = new ContentStore({
      blobs: new Proxy(t.store, {
        get: (target, name, receiver) => {
          const value = Reflect.get(target, name, receiver) as unknown;
          if (name === 'put') puts++;
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      }),
      logger: silentLogger(),
    });
    expect(await counting.putIfAbsent(bytes)).toBe(hash);
    expect(puts).toBe(0);
    expect((await t.store.head(tensors.keyOf(hash))).lastModified).toEqual(before.lastModified);
    expect(await t.store.list('tensors/sha256/')).toHaveLength(2);
  });

  it('refuses a tensor whose stored bytes were replaced behind its back', async () => {
    const bytes = tensor(3);
    const hash = await tensors.putIfAbsent(bytes);
    const tampered = bytes.slice();
    tampered[0] = (tampered[0] ?? 0) ^ 0xff;
    await t.store.put(tensors.keyOf(hash), tampered, { contentType: 'application/octet-stream' });
    const error = await tensors.getVerified(hash).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobIntegrityError);
    expect((error as Error).message).toBe(
      `object ${tensors.keyOf(hash)} has sha256 ${sha256Hex(tampered)}, expected ${hash}; the object was corrupted or replaced, so it was refused ` +
        '(delete it and upload it again from a trusted copy)',
    );
  });

  it('reports a missing tensor and refuses a malformed hash', async () => {
    await expect(tensors.getVerified('0'.repeat(64))).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(await tensors.has('0'.repeat(64))).toBe(false);
    await expect(tensors.getVerified('../models/v1')).rejects.toThrow(/tensor hash must be 64 lowercase hex digits/);
  });
});
