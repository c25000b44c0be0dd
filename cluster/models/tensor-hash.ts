import { createHash } from 'node:crypto';

/**
 * The SHA-256 of stored tensor bytes and the check of fetched bytes against it. Dependency-free,
 * so the LoRA delta worker can load it without the S3 client.
 */

/** The SHA-256 hex of `bytes`. */
export function sha256(bytes: Uint8Array | ArrayBuffer): string {
  return createHash('sha256').update(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).digest('hex');
}

/**
 * Checks that tensor bytes read by their hash have that hash.
 * @throws Error saying the object store holds corrupt bytes when they do not.
 */
export function assertTensorHash(bytes: Uint8Array | ArrayBuffer, expected: string): void {
  const actual = sha256(bytes);
  if (actual !== expected) throw new Error(`the stored tensor ${expected} hashes to ${actual}; the object store holds corrupt bytes`);
}
