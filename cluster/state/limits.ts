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
  /** Queued jobs one requester may have; submitJob refuses more so nobody can flood the queue. */
  maxQueuedJobsPerRequester: 20,
  /** Leased or running jobs one requester may have; leaseJob passes over a requester at this many. */
  maxActiveJobsPerRequester: 4,
  /** Failed attempts within {@link STATE_LIMITS.agentFailureWindowMs} that pause an agent automatically. */
  agentFailuresToPause: 5,
  /** The window in which an agent's failed attempts count towards pausing it (one hour). */
  agentFailureWindowMs: 3_600_000,
  /** Durations averaged plainly before the per-kind mean becomes a moving average of weight 1/durationWindow. */
  durationWindow: 50,
} as const;
