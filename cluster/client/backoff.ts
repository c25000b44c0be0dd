/**
 * Exponential backoff with jitter, shared by the cluster client and the agent's retries. Jitter
 * spreads the retries of many agents that lost the same leader or S3 endpoint at the same moment,
 * so they do not all come back in one burst.
 */

/** How long retries wait: `baseMs * 2^attempt`, capped at `maxMs`, then scaled by a random factor in [0.5, 1). */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** The wait before retry number `attempt` (0 for the first retry), with `random()` in [0, 1). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const capped = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return capped * (0.5 + 0.5 * random());
}
