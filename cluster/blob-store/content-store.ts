import type { Logger } from '../../config/logger.ts';
import { BlobIntegrityError } from './blob-store-errors.ts';
import { sha256Hex } from './s3-blob-store.ts';
import type { CallOptions, S3BlobStore } from './s3-blob-store.ts';
import type { PresignedUrl, PresignGetOptions } from './presign-url.ts';
import { isSha256Hex, s3Keys } from './s3-keys.ts';

/**
 * Content-addressed tensor storage in S3: an object's key is the sha-256 of its bytes
 * (`tensors/sha256/<first 2 hex>/<hash>`), so a merge writes only tensors that changed and an
 * agent downloads only those it lacks. Reads are verified: bytes that do not hash to their key
 * (a corrupted or replaced object) are refused.
 *
 * Hashing is synchronous per call; on a Raft node, run large tensors through this in the merge
 * worker thread, not on the event loop that ticks Raft.
 */
export class ContentStore {
  readonly #blobs: S3BlobStore;
  readonly #logger: Logger;

  constructor(options: { blobs: S3BlobStore; logger: Logger }) {
    this.#blobs = options.blobs;
    this.#logger = options.logger;
  }

  /** The S3 key of a tensor. */
  keyOf(hash: string): string {
    return s3Keys.tensor(hash);
  }

  /** Whether a tensor with this hash is stored. */
  has(hash: string, options: CallOptions = {}): Promise<boolean> {
    return this.#blobs.exists(this.keyOf(hash), options);
  }

  /**
   * Stores `bytes` under their sha-256 unless an object with that hash already exists, and returns
   * the hash (64 lowercase hex digits). Two racing writers of the same bytes write the same object.
   */
  async putIfAbsent(bytes: Uint8Array, options: CallOptions = {}): Promise<string> {
    const hash = sha256Hex(bytes);
    const key = this.keyOf(hash);
    if (await this.#blobs.exists(key, options)) {
      this.#logger.debug({ key, bytes: bytes.byteLength }, 'tensor already stored');
      return hash;
    }
    await this.#blobs.put(key, bytes, { contentType: 'application/octet-stream', sha256: hash, ...options });
    this.#logger.debug({ key, bytes: bytes.byteLength }, 'stored tensor');
    return hash;
  }

  /**
   * Stores bytes whose sha-256 the caller has just computed (a merge worker hashes what it made),
   * without hashing them again or checking for an existing object: writing the same bytes twice
   * leaves the same object.
   */
  async putHashed(bytes: Uint8Array, hash: string, options: CallOptions = {}): Promise<void> {
    await this.#blobs.put(this.keyOf(hash), bytes, { contentType: 'application/octet-stream', sha256: hash, sha256Computed: true, ...options });
    this.#logger.debug({ key: this.keyOf(hash), bytes: bytes.byteLength }, 'stored tensor');
  }

  /** Reads a tensor without checking it (for callers that check the hash off the event loop). @throws BlobNotFoundError */
  get(hash: string, options: CallOptions = {}): Promise<Uint8Array> {
    return this.#blobs.getBytes(this.keyOf(hash), options);
  }

  /** Reads a tensor and checks that its bytes hash to `hash`. @throws BlobIntegrityError, BlobNotFoundError */
  async getVerified(hash: string, options: CallOptions = {}): Promise<Uint8Array> {
    if (!isSha256Hex(hash)) throw new TypeError(`tensor hash must be 64 lowercase hex digits (got ${JSON.stringify(hash)})`);
    const key = this.keyOf(hash);
    const bytes = await this.#blobs.getBytes(key, options);
    const actual = sha256Hex(bytes);
    if (actual !== hash) {
      this.#logger.error({ key, actual }, 'stored tensor does not match its hash; refused');
      throw new BlobIntegrityError(key, hash, actual);
    }
    return bytes;
  }

  /** A presigned GET of one tensor, for an agent (which checks the hash itself after download). */
  presignGet(hash: string, options: PresignGetOptions = {}): Promise<PresignedUrl> {
    return this.#blobs.presignGet(this.keyOf(hash), options);
  }
}
