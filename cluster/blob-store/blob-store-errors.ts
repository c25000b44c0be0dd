/**
 * Typed errors of the blob store. Every message names the object or endpoint involved and says
 * what to check, so an operator can act on a log line alone.
 */

/** Base class of every blob-store failure; `code` is stable for programs, `message` is for people. */
export class BlobStoreError extends Error {
  override name = 'BlobStoreError';
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The object does not exist (S3 `NoSuchKey`, or 404 on HEAD). */
export class BlobNotFoundError extends BlobStoreError {
  override name = 'BlobNotFoundError';
  readonly bucket: string;
  readonly key: string;

  constructor(bucket: string, key: string, options?: { cause?: unknown }) {
    super(
      'not_found',
      `no object s3://${bucket}/${key}; check that it was uploaded (and not yet deleted by its expiry rule, see docs/s3-layout.md)`,
      options,
    );
    this.bucket = bucket;
    this.key = key;
  }
}

/** The S3 endpoint could not be reached, or kept failing with transient errors, until the deadline. */
export class BlobStoreUnavailableError extends BlobStoreError {
  override name = 'BlobStoreUnavailableError';
  readonly endpoint: string;
  readonly attempts: number;

  constructor(endpoint: string, detail: { attempts: number; elapsedMs?: number; reason: string }, options?: { cause?: unknown }) {
    super(
      'unavailable',
      `S3 at ${endpoint} is unavailable: ${detail.reason} (${detail.attempts} attempt(s)${detail.elapsedMs === undefined ? '' : ` in ${detail.elapsedMs} ms`}); ` +
        'check that the S3 server is running and reachable, and that s3.endpoint (TEAMBOOTH_S3_ENDPOINT) names it',
      options,
    );
    this.endpoint = endpoint;
    this.attempts = detail.attempts;
  }
}

/** Stored bytes do not match the sha-256 they were stored under or declared with. */
export class BlobIntegrityError extends BlobStoreError {
  override name = 'BlobIntegrityError';
  readonly key: string;
  readonly expected: string;
  readonly actual: string;

  constructor(key: string, expected: string, actual: string) {
    super(
      'integrity',
      `object ${key} has sha256 ${actual}, expected ${expected}; the object was corrupted or replaced, so it was refused ` +
        '(delete it and upload it again from a trusted copy)',
    );
    this.key = key;
    this.expected = expected;
    this.actual = actual;
  }
}
