import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PRESIGN_SECONDS } from './presign-url.ts';
import { s3Keys } from './s3-keys.ts';
import { startTestS3 } from './test-s3-fixture.ts';
import type { TestS3 } from './test-s3-fixture.ts';

let t: TestS3;
beforeAll(async () => {
  t = await startTestS3();
});
afterAll(async () => {
  await t.close();
});

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);

/** The S3 error code of a refused response. */
async function errorCode(response: Response): Promise<string> {
  return /<Code>([^<]+)<\/Code>/.exec(await response.text())?.[1] ?? `(status ${response.status})`;
}

describe('presigned URLs through the embedded S3 gate', () => {
  it('lets an agent PUT then GET exactly one key without credentials', async () => {
    const key = s3Keys.result('j-7', 'image-0.png');
    const put = await t.store.presignPut(key, { contentType: 'image/png', contentLength: png.byteLength });
    expect(put.method).toBe('PUT');
    expect(put.headers).toEqual({ 'content-type': 'image/png', 'content-length': String(png.byteLength) });
    expect((await fetch(put.url, { method: 'PUT', body: png, headers: put.headers })).status).toBe(200);

    const get = await t.store.presignGet(key);
    const response = await fetch(get.url);
    expect(response.status).toBe(200);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(png);
    expect(await t.store.getBytes(key)).toEqual(png);
  });

  it('refuses a presigned PUT URL used for another key, another method, or another size', async () => {
    const key = s3Keys.result('j-8', 'image-0.png');
    const put = await t.store.presignPut(key, { contentType: 'image/png', contentLength: png.byteLength });
    const otherKey = put.url.replace('/results/j-8/image-0.png', '/models/v1/manifest.json');
    const moved = await fetch(otherKey, { method: 'PUT', body: png, headers: put.headers });
    expect(moved.status).toBe(403);
    expect(await errorCode(moved)).toBe('SignatureDoesNotMatch');
    const asGet = await fetch(put.url);
    expect(asGet.status).toBe(403);
    await asGet.body?.cancel();
    const bigger = await fetch(put.url, { method: 'PUT', body: new Uint8Array(png.byteLength + 1), headers: { 'content-type': 'image/png' } });
    expect(bigger.status).toBe(403);
    await bigger.body?.cancel();
    const otherType = await fetch(put.url, { method: 'PUT', body: png, headers: { 'content-type': 'text/html' } });
    expect(otherType.status).toBe(403);
    await otherType.body?.cancel();
    expect(await t.store.exists('models/v1/manifest.json')).toBe(false);
    expect(await t.store.exists(key)).toBe(false);
  });

  it('refuses an expired URL (signed in the past by the injected clock) and anonymous requests', async () => {
    const key = s3Keys.result('j-9', 'image-0.png');
    await t.store.put(key, png, { contentType: 'image/png' });
    const elevenMinutesAgo = Date.now() - 11 * 60 * 1000;
    const stale = t.storeWith({ signingClock: () => elevenMinutesAgo });
    const expired = await stale.presignGet(key);
    expect(expired.expiresAt.getTime()).toBe(Math.floor(elevenMinutesAgo / 1000) * 1000 + 600_000);
    const refused = await fetch(expired.url);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('Request has expired');
    const fresh = await stale.presignGet(key, { expiresInSeconds: 3600 });
    expect((await fetch(fresh.url)).status).toBe(200);
    const anonymous = await fetch(`${t.s3.endpoint}/${t.bucket}/${key}`);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain('anonymous requests are refused');
  });

  it('refuses a URL whose expiry was edited to live longer', async () => {
    const key = s3Keys.result('j-10', 'image-0.png');
    await t.store.put(key, png, { contentType: 'image/png' });
    const url = new URL((await t.storeWith({ signingClock: () => Date.now() - 11 * 60 * 1000 }).presignGet(key)).url);
    url.searchParams.set('X-Amz-Expires', '3600');
    const response = await fetch(url);
    expect(response.status).toBe(403);
    expect(await errorCode(response)).toBe('SignatureDoesNotMatch');
  });

  it('keeps URLs short-lived: default 10 minutes, at most an hour', async () => {
    const now = Date.UTC(2026, 10, 26, 12, 0, 0);
    const store = t.storeWith({ signingClock: () => now });
    const url = await store.presignGet('results/j-1/a.png');
    expect(url.expiresAt.toISOString()).toBe('2026-11-26T12:10:00.000Z');
    expect(new URL(url.url).searchParams.get('X-Amz-Expires')).toBe('600');
    await expect(store.presignPut('results/j-1/a.png', { expiresInSeconds: MAX_PRESIGN_SECONDS + 1 })).rejects.toThrow(
      /expiresInSeconds must be a whole number from 1 to 3600 \(got 3601\)/,
    );
    await expect(store.presignGet('results/j-1/a.png', { expiresInSeconds: 0 })).rejects.toBeInstanceOf(RangeError);
    expect((await t.storeWith({ presignExpirySeconds: 120, signingClock: () => now }).presignGet('x')).expiresAt.toISOString()).toBe(
      '2026-11-26T12:02:00.000Z',
    );
  });

  it('writes the public endpoint into URLs when one is configured', async () => {
    const store = t.storeWith({ publicEndpoint: 'https://s3.example.org' });
    expect((await store.presignGet('results/j-1/a.png')).url).toMatch(/^https:\/\/s3\.example\.org\/teambooth-test\/results\/j-1\/a\.png\?/);
  });
});
