import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransferError } from './agent-errors.ts';
import { downloadFromUrl, uploadToUrl, type TransferOptions } from './presigned-transfer.ts';
import { startFakeObjectStore, type FakeObjectStore } from './testing/fake-object-store.ts';

let store: FakeObjectStore;
beforeEach(async () => {
  store = await startFakeObjectStore();
});
afterEach(async () => {
  await store.close();
});

/** Options with a fake clock that moves only when the transfer sleeps. */
function options(overrides: Partial<TransferOptions> = {}): TransferOptions & { sleeps: number[]; refreshed: string[] } {
  let clock = 0;
  const sleeps: number[] = [];
  const refreshed: string[] = [];
  return {
    signal: new AbortController().signal,
    refreshUrl: async (name) => {
      refreshed.push(name);
      return `${store.url}/photos/${name}?sig=fresh`;
    },
    logger: pino({ level: 'silent' }),
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    random: () => 0.5,
    sleeps,
    refreshed,
    ...overrides,
  };
}

describe('presigned transfers', () => {
  it('retries a 503 twice with growing, jittered waits, then succeeds', async () => {
    let refusals = 2;
    store.intercept = () => (refusals-- > 0 ? 503 : undefined);
    const opts = options();
    await uploadToUrl('image-0.png', `${store.url}/results/j-1/image-0.png?sig=x`, Uint8Array.of(1, 2, 3), 'image/png', opts);
    expect(store.objects.get('/results/j-1/image-0.png')).toEqual({ body: Buffer.from([1, 2, 3]), contentType: 'image/png' });
    expect(store.requests).toHaveLength(3);
    expect(opts.sleeps).toEqual([375, 750]);
  });

  it('asks for a fresh URL after a 403 and retries with it', async () => {
    store.objects.set('/photos/a.png', { body: Buffer.from('photo'), contentType: 'image/png' });
    store.intercept = (request) => (request.query === 'sig=expired' ? 403 : undefined);
    const opts = options();
    const bytes = await downloadFromUrl('a.png', `${store.url}/photos/a.png?sig=expired`, opts);
    expect(Buffer.from(bytes).toString()).toBe('photo');
    expect(opts.refreshed).toEqual(['a.png']);
    expect(store.requests.map((request) => request.query)).toEqual(['sig=expired', 'sig=fresh']);
  });

  it('gives up with a clear error once the retries would pass the budget', async () => {
    store.intercept = () => 503;
    const opts = options();
    const upload = uploadToUrl('lora.safetensors', `${store.url}/loras/x?sig=x`, Uint8Array.of(0), 'application/octet-stream', opts);
    await expect(upload).rejects.toThrow(TransferError);
    await expect(upload).rejects.toThrow(
      /^uploading lora\.safetensors failed after \d+ attempts in \d+ s \(budget 60 s\); last problem: the server answered 503 Service Unavailable \(S3 Fake503\)$/,
    );
    const waited = opts.sleeps.reduce((a, b) => a + b, 0);
    expect(waited).toBeLessThanOrEqual(60_000);
    expect(waited).toBeGreaterThan(45_000);
    expect(Math.max(...opts.sleeps)).toBe(7500); // capped at 10 s, times the jitter factor
  });

  it('fails at once on an answer that retrying cannot change (404), without naming the URL', async () => {
    const opts = options();
    const download = downloadFromUrl('b.png', `${store.url}/photos/b.png?X-Amz-Signature=0123456789abcdef0123`, opts);
    await expect(download).rejects.toThrow('downloading b.png failed: the server answered 404 Not Found (S3 NoSuchKey)');
    await download.catch((error: Error) => expect(error.message).not.toContain('Signature'));
    expect(opts.sleeps).toEqual([]);
  });

  it('retries network errors until the budget runs out', async () => {
    const url = `${store.url}/photos/c.png`;
    await store.close();
    const opts = options({ budgetMs: 2000 });
    await expect(downloadFromUrl('c.png', url, opts)).rejects.toThrow(/^downloading c\.png failed after 3 attempts .*fetch failed \(ECONNREFUSED\)$/);
    store = await startFakeObjectStore();
  });
});
