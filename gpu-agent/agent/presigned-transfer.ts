import type { Logger } from 'pino';
import { TransferError } from './agent-errors.ts';
import { backoffDelay, type BackoffPolicy } from '../../cluster/client/backoff.ts';

/**
 * Downloads and uploads through presigned S3 URLs, the only way an agent touches S3 (it holds no
 * credentials). Network errors, 5xx and 429 are retried with exponential backoff and jitter within
 * a time budget; a 403 means the URL expired, so a fresh one is asked for before the next try;
 * any other answer is final. URLs are never logged or put in messages: they carry a signature
 * that works until it expires. Objects are named by their job-level name instead.
 */

/** Options of {@link downloadFromUrl} and {@link uploadToUrl}. */
export interface TransferOptions {
  signal: AbortSignal;
  /** A fresh presigned URL for the object `name`, after the old one was refused with 403. */
  refreshUrl: (name: string, signal: AbortSignal) => Promise<string>;
  logger: Logger;
  now: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
  /** Time allowed for retries, from the first try (default 60 s). */
  budgetMs?: number;
}

const DEFAULT_BUDGET_MS = 60_000;
const BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 10_000 };

/** GETs the object `name` from its presigned URL. Throws {@link TransferError} when it cannot. */
export function downloadFromUrl(name: string, url: string, options: TransferOptions): Promise<Uint8Array> {
  return withRetries(
    `downloading ${name}`,
    name,
    url,
    (current) => fetch(current, { method: 'GET', signal: options.signal }),
    async (response) => new Uint8Array(await response.arrayBuffer()),
    options,
  );
}

/** PUTs `body` to the presigned URL of the object `name`. Throws {@link TransferError} when it cannot. */
export async function uploadToUrl(name: string, url: string, body: Uint8Array, contentType: string, options: TransferOptions): Promise<void> {
  await withRetries(
    `uploading ${name}`,
    name,
    url,
    (current) => fetch(current, { method: 'PUT', body, headers: { 'content-type': contentType }, signal: options.signal }),
    async (response) => {
      await response.body?.cancel();
    },
    options,
  );
}

async function withRetries<T>(
  what: string,
  name: string,
  url: string,
  send: (url: string) => Promise<Response>,
  read: (response: Response) => Promise<T>,
  options: TransferOptions,
): Promise<T> {
  const { signal, logger } = options;
  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  const started = options.now();
  let current = url;
  for (let attempt = 0; ; attempt++) {
    signal.throwIfAborted();
    let problem: string;
    let expired = false;
    try {
      const response = await send(current);
      // Reading the body belongs to the attempt: a connection cut mid-body is retried too.
      if (response.ok) return await read(response);
      const detail = await s3ErrorCode(response);
      const status = `${response.status}${response.statusText === '' ? '' : ` ${response.statusText}`}${detail}`;
      if (response.status === 403) {
        expired = true;
        problem = `the URL was refused with ${status} (expired?)`;
      } else if (response.status >= 500 || response.status === 429) {
        problem = `the server answered ${status}`;
      } else {
        throw new TransferError(`${what} failed: the server answered ${status}`);
      }
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (error instanceof TransferError) throw error;
      problem = networkProblem(error);
    }
    const delay = backoffDelay(attempt, BACKOFF, options.random);
    const elapsed = options.now() - started;
    if (elapsed + delay > budgetMs) {
      throw new TransferError(`${what} failed after ${attempt + 1} attempts in ${Math.round(elapsed / 1000)} s (budget ${Math.round(budgetMs / 1000)} s); last problem: ${problem}`);
    }
    logger.warn({ object: name, attempt: attempt + 1, delayMs: Math.round(delay), problem }, `${what} failed; retrying`);
    await options.sleep(delay, signal);
    if (expired) current = await options.refreshUrl(name, signal);
  }
}

/** ` (S3 <Code>)` from an S3 error body, or nothing; reading it also frees the connection. */
async function s3ErrorCode(response: Response): Promise<string> {
  try {
    const code = /<Code>([^<]{1,64})<\/Code>/.exec(await response.text())?.[1];
    return code === undefined ? '' : ` (S3 ${code})`;
  } catch {
    return '';
  }
}

/** fetch's "fetch failed" with the system error under it, e.g. `fetch failed (ECONNREFUSED)`. */
function networkProblem(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
  return detail === undefined ? error.message : `${error.message} (${detail})`;
}
