import type { Logger } from '../../config/logger.ts';
import { BlobStoreUnavailableError } from './blob-store-errors.ts';

/** Capped exponential backoff with jitter, under a per-call deadline. */
export interface RetryPolicy {
  /** Backoff before the second attempt (ms); doubles each retry. */
  initialDelayMs: number;
  /** Cap of one backoff (ms). */
  maxDelayMs: number;
  /** Budget of one call, all attempts and backoffs included (ms). */
  deadlineMs: number;
}

/** 50 ms doubling to 2 s, within 30 s per call. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { initialDelayMs: 50, maxDelayMs: 2_000, deadlineMs: 30_000 };

/** Time, randomness and waiting, injected so tests control them. */
export interface RetryEnvironment {
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Uniform in [0, 1), for jitter. */
  random: () => number;
  /** Waits `ms`, rejecting with the signal's reason when it aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  logger: Logger;
}

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ECONNABORTED', 'UND_ERR_SOCKET']);
const TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'InternalError',
  'ServiceUnavailable',
]);

function field(error: unknown, name: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;
}

/**
 * Whether an S3 failure is worth retrying: connection refused/reset and other network errors,
 * timeouts, throttling, and any 5xx or 429 answer. Client errors (4xx) are not.
 */
export function isTransientS3Error(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 4; current = field(current, 'cause'), depth++) {
    const code = field(current, 'code');
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
    const name = field(current, 'name');
    if (typeof name === 'string' && TRANSIENT_NAMES.has(name)) return true;
    const status = field(field(current, '$metadata'), 'httpStatusCode');
    if (typeof status === 'number' && (status >= 500 || status === 429)) return true;
  }
  return false;
}

/** A short description of a failure for messages: `ECONNREFUSED`, `503 SlowDown`. */
export function describeFailure(error: unknown): string {
  const status = field(field(error, '$metadata'), 'httpStatusCode');
  const code = field(error, 'code') ?? field(field(error, 'cause'), 'code');
  const name = field(error, 'name');
  const parts = [typeof status === 'number' ? String(status) : '', typeof code === 'string' ? code : typeof name === 'string' ? name : 'error'];
  const message = field(error, 'message');
  return `${parts.filter((part) => part !== '').join(' ')}${typeof message === 'string' && message !== '' ? `: ${message}` : ''}`;
}

/** The default {@link RetryEnvironment.sleep}: a timer that an abort cancels. */
export function sleepWithSignal(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Options of one {@link retryTransient} call. */
export interface RetryCall {
  /** What the call does, for logs: `put uploads/j-1/a.png`. */
  operation: string;
  /** Named in {@link BlobStoreUnavailableError}. */
  endpoint: string;
  policy: RetryPolicy;
  env: RetryEnvironment;
  /** The caller's cancellation; an abort is rethrown as is, never retried. */
  signal?: AbortSignal;
  /** Whether a failure may be retried (default {@link isTransientS3Error}); `false` ends at the first failure. */
  retryable?: (error: unknown) => boolean;
}

/**
 * Runs `attempt` until it succeeds, fails with a non-transient error (rethrown as is), the caller
 * aborts (its reason is rethrown), or the deadline passes (`BlobStoreUnavailableError` naming the
 * endpoint). Each attempt gets a signal that aborts at the caller's abort or at the deadline, so a
 * hung connection cannot outlive the budget. Backoff: `min(max, initial * 2^n)`, half of it fixed and
 * half jittered, never past the deadline.
 */
export async function retryTransient<T>(attempt: (signal: AbortSignal) => Promise<T>, call: RetryCall): Promise<T> {
  const { env, policy } = call;
  const retryable = call.retryable ?? isTransientS3Error;
  const started = env.now();
  const deadline = started + policy.deadlineMs;
  const unavailable = (attempts: number, reason: string, cause: unknown) =>
    new BlobStoreUnavailableError(call.endpoint, { attempts, elapsedMs: env.now() - started, reason }, { cause });
  for (let attempts = 1; ; attempts++) {
    call.signal?.throwIfAborted();
    // Not AbortSignal.timeout: the timer must stop once the attempt succeeds, or it would cut off
    // a stream the attempt returned.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new Error('S3 call deadline passed')), Math.max(1, deadline - env.now()));
    const signal = call.signal === undefined ? timeout.signal : AbortSignal.any([call.signal, timeout.signal]);
    try {
      return await attempt(signal);
    } catch (error) {
      if (call.signal?.aborted) throw call.signal.reason;
      if (timeout.signal.aborted) throw unavailable(attempts, `no answer within the ${policy.deadlineMs} ms deadline`, error);
      if (!retryable(error)) throw error;
      const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempts - 1));
      const delay = Math.round(base / 2 + (base / 2) * env.random());
      if (env.now() + delay >= deadline) {
        throw unavailable(attempts, `${describeFailure(error)}, still failing at the ${policy.deadlineMs} ms deadline`, error);
      }
      env.logger.debug({ operation: call.operation, attempt: attempts, delayMs: delay, failure: describeFailure(error) }, 'S3 call failed; retrying');
      await env.sleep(delay, call.signal ?? new AbortController().signal);
    } finally {
      clearTimeout(timer);
    }
  }
}
