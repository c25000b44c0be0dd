/**
 * Fixed limits of the replicated state machine. They are part of its deterministic behaviour:
 * every replica must use the same values, so they are constants rather than configuration.
 */
export const STATE_LIMITS = {
  /** Client sessions kept for exactly-once; the least recently used is evicted beyond this. */
  maxSessions: 10_000,
  /** A job that failed this many leased attempts is failed for good. */
  maxJobAttempts: 3,
  /** Longest lease an agent may take on a job (24 hours). */
  maxLeaseMs: 86_400_000,
  /** Largest JSON encoding of a job's params or result, in characters. */
  maxJobPayloadChars: 65_536,
  /** Largest JSON encoding of a key-value entry's value, in characters. */
  maxKvValueChars: 65_536,
} as const;
