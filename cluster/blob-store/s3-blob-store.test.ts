import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobIntegrityError, BlobNotFoundError, BlobStoreError } from './blob-store-errors.ts';
import { sha256Hex } from './s3-blob-store.ts';
import { startTestS3 } from './test-s3-fixture.ts';
import type { TestS3 } from './test-s3-fixture.ts';

let t: TestS3;
beforeAll(async () => {
  t = await startTestS3();
});
afterAll(async () => {
  await t.close();
});

const bytes = (value: string) => new TextEncoder().encode(value);

describe('S3BlobStore against a real s3rver', () => {
  it('creates the bucket once and is idempotent about it', async () => {
    const other = t.storeWith({ bucket: 'second-bucket' });
    await other.ensureBucket();
    await other.ensureBucket();
    await other.put('a.txt', bytes('x'), { contentType: 'text/plain' });
    expect(await other.list('')).toHaveLength(1);
  });

  it('round-trips bytes, with type and sha256 metadata, and reads ranges', async () => {
    const data = bytes('hello, shared model');
    await t.store.put('results/j-1/a b+c.bin', data, { contentType: 'application/x-test', sha256: sha256Hex(data) });
    expect(await t.store.getBytes('results/j-1/a b+c.bin')).toEqual(data);
    expect(await t.store.getBytes('results/j-1/a b+c.bin', { range: { start: 7, end: 12 } })).toEqual(bytes('shared'));
    const info = await t.store.head('results/j-1/a b+c.bin');
    expect(info).toMatchObject({ key: 'results/j-1/a b+c.bin', size: data.byteLength, contentType: 'application/x-test', sha256: sha256Hex(data) });
  });

  it('round-trips streams: a bare stream, a stream factory, and a streamed download', async () => {
    await t.store.put('uploads/j-2/one.txt', Readable.from([Buffer.from('stream '), Buffer.from('once')]), { contentType: 'text/plain', contentLength: 11 });
    let opened = 0;
    const factory = () => (opened++, Readable.from([Buffer.from('from a '), Buffer.from('factory')]));
    await t.store.put('uploads/j-2/two.txt', factory, { contentType: 'text/plain', contentLength: 14, sha256: sha256Hex(bytes('from a factory')) });
    expect(opened).toBe(1);
    const download = await t.store.getStream('uploads/j-2/one.txt');
    expect(download.size).toBe(11);
    expect(await text(download.stream)).toBe('stream once');
    expect(await text((await t.store.getStream('uploads/j-2/two.txt', { range: { start: 7 } })).stream)).toBe('factory');
  });

  it('refuses bytes or streams that do not match the declared sha256, leaving nothing behind', async () => {
    const wrong = sha256Hex(bytes('something else'));
    await expect(t.store.put('uploads/j-3/x', bytes('payload'), { contentType: 'text/plain', sha256: wrong })).rejects.toBeInstanceOf(BlobIntegrityError);
    await expect(
      t.store.put('uploads/j-3/y', () => Readable.from([Buffer.from('payload')]), { contentType: 'text/plain', contentLength: 7, sha256: wrong }),
    ).rejects.toBeInstanceOf(BlobIntegrityError);
    expect(await t.store.list('uploads/j-3/')).toEqual([]);
    await expect(t.store.put('uploads/j-3/z', Readable.from([]), { contentType: 'text/plain' })).rejects.toThrow(/needs contentLength/);
  });

  it('lists by prefix across pages, in key order', async () => {
    for (const name of ['c', 'a', 'b', 'd', 'e']) await t.store.put(`loras/zxq/${name}`, bytes(name), { contentType: 'text/plain' });
    await t.store.put('loras/zxqq/other', bytes('no'), { contentType: 'text/plain' });
    const listed = await t.store.list('loras/zxq/', { pageSize: 2 });
    expect(listed.map((entry) => entry.key)).toEqual(['loras/zxq/a', 'loras/zxq/b', 'loras/zxq/c', 'loras/zxq/d', 'loras/zxq/e']);
    expect(listed.every((entry) => entry.size === 1)).toBe(true);
  });

  it('deletes (idempotently) and reports missing objects as BlobNotFoundError', async () => {
    await t.store.put('results/j-4/gone.png', bytes('x'), { contentType: 'image/png' });
    expect(await t.store.exists('results/j-4/gone.png')).toBe(true);
    await t.store.delete('results/j-4/gone.png');
    await t.store.delete('results/j-4/gone.png');
    expect(await t.store.exists('results/j-4/gone.png')).toBe(false);
    const error = await t.store.getBytes('results/j-4/gone.png').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobNotFoundError);
    expect((error as Error).message).toBe(`no object s3://${t.bucket}/results/j-4/gone.png; check that it was uploaded (and not yet deleted by its expiry rule, see docs/s3-layout.md)`);
    await expect(t.store.head('results/j-4/gone.png')).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(t.store.getStream('results/j-4/gone.png')).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it('names a missing bucket and refused credentials with what to check', async () => {
    const missing = await t.storeWith({ bucket: 'no-such-bucket' }).getBytes('x').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(BlobStoreError);
    expect((missing as Error).message).toMatch(/^bucket no-such-bucket does not exist at http:\/\/127\.0\.0\.1:\d+; create it/);
    const wrongKey = t.storeWith({ credentials: { accessKeyId: 'teambooth-local', secretAccessKey: 'wrong-secret' } });
    const denied = await wrongKey.getBytes('results/j-1/a b+c.bin').catch((e: unknown) => e);
    expect((denied as BlobStoreError).code).toBe('access_denied');
    expect((denied as Error).message).toContain('check TEAMBOOTH_S3_ACCESS_KEY_ID and TEAMBOOTH_S3_SECRET_ACCESS_KEY');
  });

  it('stops at once when the caller aborts', async () => {
    const controller = new AbortController();
    controller.abort(new Error('job cancelled'));
    await expect(t.store.getBytes('results/j-1/a b+c.bin', { signal: controller.signal })).rejects.toThrow('job cancelled');
  });
});
