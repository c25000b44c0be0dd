/**
 * The two things model versions need of tensor storage, as ports so that agents (presigned GETs
 * through a local cache), the cluster (`ContentStore`) and tests can each supply their own.
 */

/** Returns the bytes stored under `hash`, already checked to hash to it. */
export type FetchTensor = (hash: string, signal?: AbortSignal) => Promise<Uint8Array>;

/** Content-addressed writes; `ContentStore` implements it. */
export interface TensorSink {
  /** Stores `bytes` under their sha-256 unless already present; returns the hash. */
  putIfAbsent(bytes: Uint8Array, options?: { signal?: AbortSignal }): Promise<string>;
  /** Stores bytes whose sha-256 the caller has just computed (no hashing again, no existence check: new content). */
  putHashed(bytes: Uint8Array, sha256: string, options?: { signal?: AbortSignal }): Promise<void>;
}
