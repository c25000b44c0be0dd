import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readAdminToken } from '../config/admin-token.ts';
import { loadConfigWithSources } from '../config/load-config.ts';
import type { LoadedConfig } from '../config/load-config.ts';
import { createLogger } from '../config/logger.ts';
import type { Logger } from '../config/logger.ts';
import type { TlsFiles } from '../config/schema.ts';
import type { CommandInput, CommonOptions } from './command.ts';
import type { ClusterClientApi } from './context.ts';

/** Flag names of config keys whose flag is not `--` + the key's last segment. */
const FLAG_NAMES: Readonly<Record<string, string>> = { 'log.level': '--log-level' };

/**
 * Loads the configuration for a command: defaults < `--config` file < `TEAMBOOTH_*` env <
 * `overrides` (this command's flags) and the common `--log-level`.
 */
export function loadCommandConfig(input: CommandInput<CommonOptions>, overrides: Record<string, unknown> = {}): LoadedConfig {
  const { options, ctx } = input;
  return loadConfigWithSources({
    ...(options.config === undefined ? {} : { file: options.config }),
    env: ctx.env,
    overrides: { ...overrides, log: { level: options.logLevel } },
    flagNames: FLAG_NAMES,
  });
}

/**
 * The logger of a command. Client commands log only warnings unless a level is set explicitly
 * (flag, env or file), so their own output stays readable; a node logs at the configured level.
 */
export function commandLogger(input: CommandInput<CommonOptions>, loaded: LoadedConfig, kind: 'client' | 'server'): Logger {
  const explicit = loaded.sources.has('log.level');
  const level = kind === 'server' || explicit ? loaded.config.log.level : 'warn';
  return createLogger({ level, ...(input.ctx.logDestination === undefined ? {} : { destination: input.ctx.logDestination }) });
}

/**
 * Runs `use` with a cluster client for the configured servers and closes it afterwards. With
 * `admin`, the client sends the admin token (`TEAMBOOTH_ADMIN_TOKEN`, else the local default file).
 */
export async function withClient<T>(
  input: CommandInput<CommonOptions>,
  loaded: LoadedConfig,
  access: { admin: boolean },
  use: (client: ClusterClientApi) => Promise<T>,
): Promise<T> {
  const client = await createCommandClient(input, loaded, { ...access, logger: commandLogger(input, loaded, 'client').child({ component: 'cli' }) });
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

/**
 * A cluster client as commands build it: the configured servers (or `servers`), deadline and TLS
 * files, and with `admin` the admin token. The caller closes it.
 */
export async function createCommandClient(
  input: CommandInput<CommonOptions>,
  loaded: LoadedConfig,
  options: { admin: boolean; logger: Logger; servers?: readonly string[]; deadlineMs?: number; signal?: AbortSignal },
): Promise<ClusterClientApi> {
  const { config } = loaded;
  const signal = options.signal ?? input.signal;
  const adminToken = options.admin ? await readAdminToken(config, input.ctx.cwd, signal) : undefined;
  return input.ctx.createClient({
    servers: options.servers === undefined ? config.client.servers : [...options.servers],
    deadlineMs: options.deadlineMs ?? config.client.deadlineMs,
    logger: options.logger,
    ...(adminToken === undefined ? {} : { adminToken }),
    ...(config.tls === undefined ? {} : { tls: await readTlsFiles(config.tls, input.ctx.cwd, signal) }),
  });
}

/** Writes `value` as JSON (one object, indented) to standard output. */
export function printJson(input: CommandInput<CommonOptions>, value: unknown): void {
  input.ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Overrides for `--servers a,b,c` (validated by the config schema, so errors name the flag). */
export function serverOverrides(servers: string | undefined): Record<string, unknown> {
  return { client: { servers } };
}

/** Reads the PEM files named by the `tls` section (paths relative to `cwd`); the client takes their contents. */
export async function readTlsFiles(tls: TlsFiles, cwd: string, signal?: AbortSignal): Promise<{ ca: string; cert?: string; key?: string }> {
  const read = (file: string): Promise<string> => readFile(resolve(cwd, file), { encoding: 'utf8', signal });
  return {
    ca: await read(tls.ca),
    ...(tls.cert === undefined ? {} : { cert: await read(tls.cert) }),
    ...(tls.key === undefined ? {} : { key: await read(tls.key) }),
  };
}
