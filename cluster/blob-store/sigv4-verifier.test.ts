import { afterAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from './s3-blob-store.ts';
import { verifySigV4 } from './sigv4-verifier.ts';
import { silentLogger } from './test-s3-fixture.ts';

const credentials = { accessKeyId: 'unit-key', secretAccessKey: 'unit-secret' };
const signedAt = Date.UTC(2026, 10, 26, 12, 0, 0);
const store = new S3BlobStore({
  endpoint: 'http://127.0.0.1:7100',
  region: 'us-east-1',
  bucket: 'teambooth',
  forcePathStyle: true,
  credentials,
  logger: silentLogger(),
  signingClock: () => signedAt,
});
afterAll(() => store.close());

/** The request an HTTP client would send for a presigned URL. */
async function presignedRequest(method: 'GET' | 'PUT', key: string) {
  const signed = method === 'GET' ? await store.presignGet(key) : await store.presignPut(key, { contentLength: 3 });
  const url = new URL(signed.url);
  return { method, url: `${url.pathname}${url.search}`, headers: { host: url.host, ...signed.headers } };
}

describe('verifySigV4', () => {
  it('accepts a presigned request until it expires, and not before it was signed (beyond clock skew)', async () => {
    const request = await presignedRequest('GET', 'results/j-1/a b.png');
    expect(verifySigV4(request, credentials, signedAt)).toBeUndefined();
    expect(verifySigV4(request, credentials, signedAt + 600_000)).toBeUndefined();
    expect(verifySigV4(request, credentials, signedAt + 600_001)).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(verifySigV4(request, credentials, signedAt - 16 * 60_000)).toMatchObject({ status: 403, code: 'AccessDenied' });
  });

  it('binds the signature to method, path, signed headers, host and secret', async () => {
    const put = await presignedRequest('PUT', 'results/j-1/a.png');
    expect(verifySigV4(put, credentials, signedAt)).toBeUndefined();
    expect(verifySigV4({ ...put, method: 'POST' }, credentials, signedAt)?.code).toBe('SignatureDoesNotMatch');
    expect(verifySigV4({ ...put, url: put.url.replace('a.png', 'b.png') }, credentials, signedAt)?.code).toBe('SignatureDoesNotMatch');
    expect(verifySigV4({ ...put, headers: { ...put.headers, 'content-length': '4' } }, credentials, signedAt)?.code).toBe('SignatureDoesNotMatch');
    expect(verifySigV4({ ...put, headers: { ...put.headers, host: 'evil.example:7100' } }, credentials, signedAt)?.code).toBe('SignatureDoesNotMatch');
    expect(verifySigV4(put, { ...credentials, secretAccessKey: 'other' }, signedAt)?.code).toBe('SignatureDoesNotMatch');
    expect(verifySigV4(put, { ...credentials, accessKeyId: 'other' }, signedAt)?.code).toBe('InvalidAccessKeyId');
  });

  it('refuses unsigned and malformed requests', () => {
    expect(verifySigV4({ method: 'GET', url: '/teambooth/x', headers: { host: 'h' } }, credentials, signedAt)).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(verifySigV4({ method: 'GET', url: '/teambooth/x', headers: { host: 'h', authorization: 'AWS abc:def' } }, credentials, signedAt)?.status).toBe(400);
    expect(verifySigV4({ method: 'GET', url: '/teambooth/x?X-Amz-Algorithm=AWS4-HMAC-SHA256', headers: { host: 'h' } }, credentials, signedAt)?.code).toBe(
      'AuthorizationQueryParametersError',
    );
    expect(verifySigV4({ method: 'GET', url: '/x?a=%E0%A4%A', headers: { host: 'h' } }, credentials, signedAt)?.status).toBe(400);
  });
});
