import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobStoreUnavailableError } from './blob-store-errors.ts';
import { isTransientS3Error, retryTransient } from './retry-transient.ts';
import type { RetryEnvironment } from './retry-transient.ts';
import { seededRandom, silentLogger, startTestS3 } from './test-s3-fixture.ts';
import type { TestS3 } from './test-s3-fixture.ts';

/** A fake clock whose sleeps advance time instantly and are recorded. */
function fakeEnvironment(random: () => number): RetryEnvironment & { sleeps: number[] } {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    random,
    logger: silentLogger(),
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });

describe('retryTransient (fake clock)', () => {
  it('backs off exponentially with jitter, capped, and succeeds when the failure clears', async () => {
    const env = fakeEnvironment(() => 0.5);
    let calls = 0;
    const result = await retryTransient(
      async () => {
        if (++calls < 7) throw refused();
        return 'ok';
      },
      { operation: 'get x', endpoint: 'http://s3.test', policy: { initialDelayMs: 100, maxDelayMs: 1_000, deadlineMs: 60_000 }, env },
    );
    expect(result).toBe('ok');
    // base 100, 200, 400, 800, 1000, 1000; each is base/2 + base/2 * 0.5.
    expect(env.sleeps).toEqual([75, 150, 300, 600, 750, 750]);
  });

  it('gives up at the deadline with BlobStoreUnavailableError naming the endpoint', async () => {
    const env = fakeEnvironment(seededRandom(3));
    const error = await retryTransient(
      async () => {
        throw refused();
      },
      { operation: 'put x', endpoint: 'http://s3.test:9000', policy: { initialDelayMs: 100, maxDelayMs: 1_000, deadlineMs: 5_000 }, env },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobStoreUnavailableError);
    expect((error as Error).message).toMatch(/^S3 at http:\/\/s3\.test:9000 is unavailable: ECONNREFUSED: connect ECONNREFUSED/);
    expect((error as Error).message).toContain('check that the S3 server is running and reachable');
    expect(env.sleeps.reduce((a, b) => a + b, 0)).toBeLessThan(5_000);
    expect(env.sleeps.every((ms) => ms <= 1_000)).toBe(true);
  });

  it('does not retry client errors or aborts', async () => {
    const env = fakeEnvironment(() => 0);
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const policy = { initialDelayMs: 10, maxDelayMs: 10, deadlineMs: 1_000 };
    await expect(retryTransient(async () => Promise.reject(denied), { operation: 'get', endpoint: 'e', policy, env })).rejects.toBe(denied);
    const controller = new AbortController();
    const reason = new Error('cancelled');
    await expect(
      retryTransient(
        async () => {
          controller.abort(reason);
          throw refused();
        },
        { operation: 'get', endpoint: 'e', policy, env, signal: controller.signal },
      ),
    ).rejects.toBe(reason);
    expect(env.sleeps).toEqual([]);
  });

  it('classifies transient failures', () => {
    expect(isTransientS3Error(refused())).toBe(true);
    expect(isTransientS3Error(Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' }))).toBe(true);
    expect(isTransientS3Error({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isTransientS3Error({ name: 'InternalError', $metadata: { httpStatusCode: 500 } })).toBe(true);
    expect(isTransientS3Error({ name: 'TooManyRequests', $metadata: { httpStatusCode: 429 } })).toBe(true);
    expect(isTransientS3Error(new Error('x', { cause: { code: 'ECONNRESET' } }))).toBe(true);
    expect(isTransientS3Error({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } })).toBe(false);
    expect(isTransientS3Error({ code: 'ENOTFOUND' })).toBe(false);
  });
});

describe('S3BlobStore retries against a real server', () => {
  let t: TestS3;
  beforeAll(async () => {
    t = await startTestS3();
  });
  afterAll(async () => {
    await t.close();
  });

  it('rides out a server restart on the same port within the retry budget', async () => {
    const data = new TextEncoder().encode('survives a restart');
    await t.store.put('results/j-1/before.txt', data, { contentType: 'text/plain' });
    await t.s3.stop();
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const store = t.storeWith({ retry: { initialDelayMs: 20, maxDelayMs: 100, deadlineMs: 8_000 }, logger });
    const pending = store.put('results/j-1/after.txt', data, { contentType: 'text/plain' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await t.restart();
    await pending;
    expect(await store.getBytes('results/j-1/after.txt')).toEqual(data);
    expect(await store.getBytes('results/j-1/before.txt')).toEqual(data);
    const retries = lines.map((line) => JSON.parse(line) as { msg: string; operation?: string }).filter((line) => line.msg === 'S3 call failed; retrying');
    expect(retries.length).toBeGreaterThan(1);
    expect(retries[0]?.operation).toBe('put results/j-1/after.txt');
  });

  it('fails with BlobStoreUnavailableError naming the endpoint when the server stays gone past the deadline', async () => {
    const endpoint = t.s3.endpoint;
    await t.s3.stop();
    const store = t.storeWith({ retry: { initialDelayMs: 20, maxDelayMs: 100, deadlineMs: 600 } });
    const started = Date.now();
    const error = await store.getBytes('results/j-1/before.txt').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobStoreUnavailableError);
    expect((error as BlobStoreUnavailableError).endpoint).toBe(endpoint);
    expect((error as Error).message).toContain(`S3 at ${endpoint} is unavailable`);
    expect((error as BlobStoreUnavailableError).attempts).toBeGreaterThan(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    await t.restart();
  });
});
