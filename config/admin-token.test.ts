import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_ADMIN_TOKEN_FILE, readAdminToken, resolveAdminToken } from './admin-token.ts';

/** Deterministic stand-in for crypto.randomBytes: a counter-based byte stream. */
function seededBytes(seed: number): (size: number) => Buffer {
  let state = seed;
  return (size) => {
    const out = Buffer.alloc(size);
    for (let i = 0; i < size; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      out[i] = state >>> 24;
    }
    return out;
  };
}

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'teambooth-token-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('resolveAdminToken', () => {
  it('uses TEAMBOOTH_ADMIN_TOKEN (config.adminToken) when set, creating no file', async () => {
    expect(await resolveAdminToken({ adminToken: 'from-the-environment-123' }, dir)).toBe('from-the-environment-123');
    expect(() => statSync(join(dir, LOCAL_ADMIN_TOKEN_FILE))).toThrow();
  });

  it('creates .teambooth/admin-token with a 32-byte hex token, readable only by its owner', async () => {
    const token = await resolveAdminToken({}, dir, { randomBytes: seededBytes(1) });
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const file = join(dir, LOCAL_ADMIN_TOKEN_FILE);
    expect(readFileSync(file, 'utf8').trim()).toBe(token);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('returns the same token on later calls and to processes starting together', async () => {
    const tokens = await Promise.all([1, 2, 3, 4].map((seed) => resolveAdminToken({}, dir, { randomBytes: seededBytes(seed) })));
    expect(new Set(tokens).size).toBe(1);
    expect(await resolveAdminToken({}, dir, { randomBytes: seededBytes(9) })).toBe(tokens[0]);
  });

  it('refuses a damaged token file with a message saying what to do', async () => {
    mkdirSync(join(dir, '.teambooth'));
    writeFileSync(join(dir, LOCAL_ADMIN_TOKEN_FILE), 'short\n');
    await expect(resolveAdminToken({}, dir)).rejects.toThrow(/does not hold a valid admin token .*delete it to generate a new one/);
  });
});

describe('readAdminToken', () => {
  it('reads the local token without creating one', async () => {
    expect(await readAdminToken({}, dir)).toBeUndefined();
    expect(() => statSync(join(dir, '.teambooth'))).toThrow();
    const token = await resolveAdminToken({}, dir, { randomBytes: seededBytes(3) });
    expect(await readAdminToken({}, dir)).toBe(token);
    expect(await readAdminToken({ adminToken: 'env-token-0123456789' }, dir)).toBe('env-token-0123456789');
  });
});
