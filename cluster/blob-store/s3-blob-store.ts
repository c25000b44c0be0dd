import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Logger } from '../../config/logger.ts';
import { BlobIntegrityError } from './blob-store-errors.ts';
import { toBlobStoreError } from './s3-error-mapping.ts';
import { DEFAULT_PRESIGN_SECONDS, presignS3Url } from './presign-url.ts';
import type { PresignedUrl, PresignGetOptions, PresignPutOptions } from './presign-url.ts';
import { DEFAULT_RETRY_POLICY, retryTransient, sleepWithSignal } from './retry-transient.ts';
import type { RetryEnvironment, RetryPolicy } from './retry-transient.ts';
import { isSha256Hex } from './s3-keys.ts';

/** S3 credentials. They come from the environment only (see config/README.md), never a file. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Everything an {@link S3BlobStore} is built from; `s3BlobStoreOptions` in blob-store-from-config.ts fills it from config. */
export interface S3BlobStoreOptions {
  /** `http(s)://host:port` of the S3 API; undefined for AWS's own endpoint of `region`. */
  endpoint?: string;
  /** Endpoint written into presigned URLs, for agents that reach S3 by another address (default: `endpoint`). */
  publicEndpoint?: string;
  region: string;
  bucket: string;
  /** `http://host/bucket/key` rather than `http://bucket.host/key` (needed by s3rver, MinIO and most self-hosted S3). */
  forcePathStyle: boolean;
  /** Undefined: the AWS SDK's default provider chain (AWS_* variables, instance and container roles). */
  credentials?: S3Credentials;
  logger: Logger;
  retry?: Partial<RetryPolicy>;
  /** Milliseconds since the epoch, for deadlines (default `Date.now`). */
  now?: () => number;
  /** Uniform in [0, 1), for backoff jitter (default `Math.random`). */
  random?: () => number;
  /** Backoff wait (default: a timer cancelled by the signal). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Clock that stamps presigned URLs (default `now`); tests sign in the past to get expired URLs. */
  signingClock?: () => number;
  /** Lifetime of presigned URLs when a call names none (default 600, at most 3600). */
  presignExpirySeconds?: number;
}

/** Cancellation of one call. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** A byte range, `end` inclusive (HTTP `Range: bytes=start-end`). */
export interface ByteRange {
  start: number;
  end?: number;
}

/** Options of {@link S3BlobStore.put}. */
export interface PutOptions extends CallOptions {
  contentType: string;
  /** Expected sha-256 (hex) of the body: checked (a mismatch is refused) and stored as `x-amz-meta-sha256`. */
  sha256?: string;
  /** `sha256` was computed from this very byte array just before (in a worker thread): stored without hashing the bytes again. */
  sha256Computed?: boolean;
  /** Required for stream bodies (S3 needs the length up front). */
  contentLength?: number;
}

/**
 * A body for {@link S3BlobStore.put}. Bytes and stream factories (`() => createReadStream(path)`) are
 * retried on transient failures; a bare stream can be sent once only, so it is never retried.
 */
export type PutBody = Uint8Array | Readable | (() => Readable);

/** What HEAD tells about an object. */
export interface BlobInfo {
  key: string;
  size: number;
  contentType?: string;
  etag?: string;
  /** From `x-amz-meta-sha256` when the object was stored with one. */
  sha256?: string;
  lastModified?: Date;
}

/** One entry of {@link S3BlobStore.list}. */
export interface BlobSummary {
  key: string;
  size: number;
  etag?: string;
  lastModified?: Date;
}

/** A download in progress. */
export interface BlobStream {
  stream: Readable;
  /** Bytes in this response (the range's length when a range was asked for). */
  size?: number;
  contentType?: string;
}

/**
 * The cluster's S3 access: a small wrapper over @aws-sdk/client-s3 for one bucket. Every call
 * takes an `AbortSignal`, retries transient failures (connection refused/reset, timeouts,
 * throttling, 5xx) with capped exponential backoff and jitter under a deadline, and fails with a
 * typed error: `BlobNotFoundError`, `BlobStoreUnavailableError` (naming the endpoint), or a
 * `BlobStoreError` whose message says what to check. Agents never use this class; the cluster
 * hands them presigned URLs for exactly one key ({@link presignGet}, {@link presignPut}).
 */
export class S3BlobStore {
  readonly bucket: string;
  /** The endpoint named in errors. */
  readonly endpoint: string;
  readonly #client: S3Client;
  readonly #presignClient: S3Client;
  readonly #policy: RetryPolicy;
  readonly #env: RetryEnvironment;
  readonly #signingClock: () => number;
  readonly #presignSeconds: number;
  readonly #logger: Logger;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.endpoint = options.endpoint ?? `https://s3.${options.region}.amazonaws.com`;
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#logger = options.logger;
    const now = options.now ?? Date.now;
    this.#env = { now, random: options.random ?? Math.random, sleep: options.sleep ?? sleepWithSignal, logger: options.logger };
    this.#signingClock = options.signingClock ?? now;
    this.#presignSeconds = options.presignExpirySeconds ?? DEFAULT_PRESIGN_SECONDS;
    const common = {
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      // A copy: the SDK annotates the object it is given.
      ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
      // Retries are ours (one policy, one deadline); checksums only where S3 requires them, since
      // self-hosted S3 servers differ in their support of the newer checksum headers.
      maxAttempts: 1,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    } as const;
    this.#client = new S3Client({
      ...common,
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      requestHandler: { connectionTimeout: Math.min(5_000, this.#policy.deadlineMs) },
    });
    const publicEndpoint = options.publicEndpoint ?? options.endpoint;
    this.#presignClient = new S3Client({ ...common, ...(publicEndpoint === undefined ? {} : { endpoint: publicEndpoint }) });
  }

  /** Creates the bucket unless it exists. */
  async ensureBucket(options: CallOptions = {}): Promise<void> {
    const exists = await this.#call('head bucket', options, async (abortSignal) => {
      try {
        await this.#client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal });
        return true;
      } catch (error) {
        if (statusOf(error) === 404) return false;
        throw error;
      }
    });
    if (exists) return;
    await this.#call('create bucket', options, async (abortSignal) => {
      try {
        await this.#client.send(new CreateBucketCommand({ Bucket: this.bucket }), { abortSignal });
        this.#logger.info({ bucket: this.bucket, endpoint: this.endpoint }, 'created S3 bucket');
      } catch (error) {
        const name = (error as { name?: unknown }).name;
        if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
      }
    });
  }

  /** Stores an object, replacing any object at `key`. */
  async put(key: string, body: PutBody, options: PutOptions): Promise<{ etag?: string }> {
    const expected = options.sha256;
    if (expected !== undefined && !isSha256Hex(expected)) throw new TypeError(`put ${key}: sha256 must be 64 lowercase hex digits`);
    const input = { Bucket: this.bucket, Key: key, ContentType: options.contentType, ...(expected === undefined ? {} : { Metadata: { sha256: expected } }) };
    if (body instanceof Uint8Array) {
      if (expected !== undefined && options.sha256Computed !== true) {
        const actual = sha256Hex(body);
        if (actual !== expected) throw new BlobIntegrityError(key, expected, actual);
      }
      return this.#call(`put ${key}`, options, async (abortSignal) => {
        const out = await this.#client.send(new PutObjectCommand({ ...input, Body: body, ContentLength: body.byteLength }), { abortSignal });
        return { etag: out.ETag };
      });
    }
    if (options.contentLength === undefined) throw new TypeError(`put ${key}: a stream body needs contentLength (S3 needs the length up front)`);
    const open = typeof body === 'function' ? body : onceOnly(body);
    const result = await this.#call(
      `put ${key}`,
      options,
      async (abortSignal) => {
        const hasher = createHash('sha256');
        const source = open();
        const hashed = source.pipe(
          new Transform({
            transform(chunk: Buffer, _encoding, done) {
              hasher.update(chunk);
              done(null, chunk);
            },
          }),
        );
        source.once('error', (error) => hashed.destroy(error));
        try {
          const out = await this.#client.send(new PutObjectCommand({ ...input, Body: hashed, ContentLength: options.contentLength }), { abortSignal });
          return { etag: out.ETag, sha256: hasher.digest('hex') };
        } finally {
          source.destroy();
        }
      },
      typeof body === 'function' ? undefined : () => false,
    );
    if (expected !== undefined && result.sha256 !== expected) {
      await this.delete(key, options);
      throw new BlobIntegrityError(key, expected, result.sha256);
    }
    return { etag: result.etag };
  }

  /** Reads a whole object (or a range of it) into memory. */
  async getBytes(key: string, options: CallOptions & { range?: ByteRange } = {}): Promise<Uint8Array> {
    return this.#call(`get ${key}`, options, async (abortSignal) => {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...rangeOf(options.range) }), { abortSignal });
      if (out.Body === undefined) return new Uint8Array(0);
      return out.Body.transformToByteArray();
    });
  }

  /**
   * Opens a download. Retries and the deadline cover opening it; reading the stream is bounded by
   * the caller's signal only, so large objects are not cut off by the deadline.
   */
  async getStream(key: string, options: CallOptions & { range?: ByteRange } = {}): Promise<BlobStream> {
    return this.#call(`get ${key}`, options, async (abortSignal) => {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...rangeOf(options.range) }), { abortSignal });
      const body = out.Body;
      const stream = body instanceof Readable ? body : body === undefined ? Readable.from([]) : Readable.from(await body.transformToByteArray());
      return { stream, ...(out.ContentLength === undefined ? {} : { size: out.ContentLength }), ...(out.ContentType === undefined ? {} : { contentType: out.ContentType }) };
    });
  }

  /** An object's size, type and stored sha-256. @throws BlobNotFoundError */
  async head(key: string, options: CallOptions = {}): Promise<BlobInfo> {
    return this.#call(`head ${key}`, options, async (abortSignal) => {
      const out = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal });
      return {
        key,
        size: out.ContentLength ?? 0,
        ...(out.ContentType === undefined ? {} : { contentType: out.ContentType }),
        ...(out.ETag === undefined ? {} : { etag: out.ETag }),
        ...(out.Metadata?.sha256 === undefined ? {} : { sha256: out.Metadata.sha256 }),
        ...(out.LastModified === undefined ? {} : { lastModified: out.LastModified }),
      };
    });
  }

  /** Whether an object exists at `key`. */
  async exists(key: string, options: CallOptions = {}): Promise<boolean> {
    try {
      await this.head(key, options);
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'not_found') return false;
      throw error;
    }
  }

  /** Deletes an object; deleting a missing object succeeds (as in S3). */
  async delete(key: string, options: CallOptions = {}): Promise<void> {
    await this.#call(`delete ${key}`, options, async (abortSignal) => {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal });
    });
  }

  /**
   * Every object whose key starts with `prefix`, in key order (all pages). Uses ListObjects (v1)
   * with the last key as marker, which every S3 implementation pages the same way (s3rver's v2
   * continuation tokens use DES, which Node's OpenSSL 3 refuses).
   */
  async list(prefix: string, options: CallOptions & { pageSize?: number } = {}): Promise<BlobSummary[]> {
    const found: BlobSummary[] = [];
    let marker: string | undefined;
    for (;;) {
      const input = { Bucket: this.bucket, Prefix: prefix, Marker: marker, ...(options.pageSize === undefined ? {} : { MaxKeys: options.pageSize }) };
      const page = await this.#call(`list ${prefix}`, options, (abortSignal) => this.#client.send(new ListObjectsCommand(input), { abortSignal }));
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined) continue;
        found.push({ key: item.Key, size: item.Size ?? 0, ...(item.ETag === undefined ? {} : { etag: item.ETag }), ...(item.LastModified === undefined ? {} : { lastModified: item.LastModified }) });
      }
      const last = found.at(-1)?.key;
      if (page.IsTruncated !== true || last === undefined || last === marker) return found;
      marker = last;
    }
  }

  /** A URL that reads exactly `key` until it expires (default `presignExpirySeconds`, at most 1 hour). */
  presignGet(key: string, options: PresignGetOptions = {}): Promise<PresignedUrl> {
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: key });
    return presignS3Url(this.#presignClient, command, 'GET', {}, options.expiresInSeconds ?? this.#presignSeconds, this.#signingClock);
  }

  /**
   * A URL that writes exactly `key` until it expires (default `presignExpirySeconds`, at most 1 hour). With
   * `contentType` or `contentLength` the upload must send exactly those headers (they are signed).
   */
  presignPut(key: string, options: PresignPutOptions = {}): Promise<PresignedUrl> {
    const headers: Record<string, string> = {};
    if (options.contentType !== undefined) headers['content-type'] = options.contentType;
    if (options.contentLength !== undefined) headers['content-length'] = String(options.contentLength);
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
      ...(options.contentLength === undefined ? {} : { ContentLength: options.contentLength }),
    });
    return presignS3Url(this.#presignClient, command, 'PUT', headers, options.expiresInSeconds ?? this.#presignSeconds, this.#signingClock);
  }

  /** Closes the HTTP connections of the underlying clients. */
  close(): void {
    this.#client.destroy();
    this.#presignClient.destroy();
  }

  #call<T>(operation: string, options: CallOptions, attempt: (signal: AbortSignal) => Promise<T>, retryable?: (error: unknown) => boolean): Promise<T> {
    return retryTransient(attempt, {
      operation,
      endpoint: this.endpoint,
      policy: this.#policy,
      env: this.#env,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(retryable === undefined ? {} : { retryable }),
    }).catch((error: unknown) => {
      throw toBlobStoreError(error, { operation, bucket: this.bucket, endpoint: this.endpoint, signal: options.signal });
    });
  }
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

function rangeOf(range: ByteRange | undefined): { Range?: string } {
  if (range === undefined) return {};
  if (!Number.isInteger(range.start) || range.start < 0 || (range.end !== undefined && (!Number.isInteger(range.end) || range.end < range.start))) {
    throw new RangeError(`invalid byte range ${JSON.stringify(range)}: start and end are whole numbers, 0 <= start <= end`);
  }
  return { Range: `bytes=${range.start}-${range.end ?? ''}` };
}

function onceOnly(stream: Readable): () => Readable {
  let used = false;
  return () => {
    if (used) throw new Error('a stream body can be sent once only; pass a function that opens the stream to allow retries');
    used = true;
    return stream;
  };
}

/** Hex sha-256 of bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
