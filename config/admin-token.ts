import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from './schema.ts';

/** Where the local default admin token lives, relative to the working directory. */
export const LOCAL_ADMIN_TOKEN_FILE = join('.teambooth', 'admin-token');

/** Options of {@link resolveAdminToken}. */
export interface ResolveAdminTokenOptions {
  /** Source of randomness for a new token (default: node:crypto). */
  randomBytes?: (size: number) => Buffer;
  signal?: AbortSignal;
}

/**
 * The admin token this process uses: `config.adminToken` (from `TEAMBOOTH_ADMIN_TOKEN`) when set.
 * Otherwise the local default shared by every process started in `cwd`: the file
 * `.teambooth/admin-token`, created on first use with a random 32-byte hex token and mode 0600.
 *
 * The file is for one machine only; production sets `TEAMBOOTH_ADMIN_TOKEN` on every node and
 * admin client. Creation is atomic (write a private temporary file, then hard-link it into place),
 * so processes starting together agree on one token.
 */
export async function resolveAdminToken(
  config: Pick<Config, 'adminToken'>,
  cwd: string,
  options: ResolveAdminTokenOptions = {},
): Promise<string> {
  if (config.adminToken !== undefined) return config.adminToken;
  const file = join(cwd, LOCAL_ADMIN_TOKEN_FILE);
  const existing = await readTokenFile(file, options.signal);
  if (existing !== undefined) return existing;

  const random = options.randomBytes ?? cryptoRandomBytes;
  const token = random(32).toString('hex');
  await mkdir(join(cwd, '.teambooth'), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${random(8).toString('hex')}.tmp`;
  await writeFile(temporary, `${token}\n`, { mode: 0o600, flag: 'wx', signal: options.signal });
  try {
    await link(temporary, file);
    return token;
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
    // Another process created it first: use theirs.
    const theirs = await readTokenFile(file, options.signal);
    if (theirs === undefined) throw new Error(`${file} vanished while it was being created; run the command again`);
    return theirs;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

/**
 * The admin token a client should send, without creating anything: `config.adminToken` when set,
 * else the local default file's token when it exists, else undefined (the cluster will then refuse
 * admin calls with a message saying to set `TEAMBOOTH_ADMIN_TOKEN`).
 */
export async function readAdminToken(config: Pick<Config, 'adminToken'>, cwd: string, signal?: AbortSignal): Promise<string | undefined> {
  if (config.adminToken !== undefined) return config.adminToken;
  return readTokenFile(join(cwd, LOCAL_ADMIN_TOKEN_FILE), signal);
}

async function readTokenFile(file: string, signal: AbortSignal | undefined): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, { encoding: 'utf8', signal });
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const token = text.trim();
  if (token.length < 16 || /\s/.test(token)) {
    throw new Error(`${file} does not hold a valid admin token (one line, at least 16 characters); delete it to generate a new one`);
  }
  return token;
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}
