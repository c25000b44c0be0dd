import { existsSync, readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from './config-error.ts';
import type { ConfigIssue } from './config-error.ts';
import { CONFIG_LEAVES, closestNames, ENV_ONLY_PATHS, envVarName, readEnvLayer } from './env-mapping.ts';
import type { EnvLayer } from './env-mapping.ts';
import { getPath, isPlainObject } from './object-path.ts';
import { configSchema } from './schema.ts';
import type { Config } from './schema.ts';

/** Inputs of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Path of a JSON config file (`--config`). Relative paths inside it are relative to the working directory. */
  file?: string;
  /** Usually `process.env`; only `TEAMBOOTH_*` variables are read. */
  env: NodeJS.ProcessEnv;
  /** Values from command-line flags, shaped like the config (`{ node: { listen } }`); undefined values are ignored. */
  overrides: object;
  /** Flag names for override key paths, for error messages. Default: `--` + the last segment in kebab-case (`--log-level` for `log.level`). */
  flagNames?: Readonly<Record<string, string>>;
  /** Reads the config file (default: `fs.readFileSync` as UTF-8). */
  readFile?: (path: string) => string;
  /** Tells whether a file exists, to check TLS paths (default: `fs.existsSync`). */
  fileExists?: (path: string) => boolean;
}

/** Where a configured value came from. */
export interface ValueSource {
  kind: 'file' | 'env' | 'flag';
  /** For messages: `config file ./t.json`, `TEAMBOOTH_X="v"`, `--listen="v"`. */
  text: string;
}

/** A loaded configuration and, for every key set explicitly, where it came from. */
export interface LoadedConfig {
  config: Config;
  sources: ReadonlyMap<string, ValueSource>;
}

/**
 * Loads the configuration: defaults < JSON file < `TEAMBOOTH_*` environment < flags.
 * Objects merge key by key; any other value (lists, peer maps, strings) replaces the lower one.
 * Secrets ({@link ENV_ONLY_PATHS}: the admin token, the S3 credentials) are refused in the file:
 * they come from their `TEAMBOOTH_*` variables only.
 * @throws ConfigError naming each bad key and where its value came from.
 */
export function loadConfig(options: LoadConfigOptions): Config {
  return loadConfigWithSources(options).config;
}

/** {@link loadConfig}, also returning the source of every explicitly set key. */
export function loadConfigWithSources(options: LoadConfigOptions): LoadedConfig {
  const fileValues = options.file === undefined ? {} : readConfigFile(options.file, options.readFile);
  const envLayer = readEnvLayer(options.env);
  const flagValues = withoutUndefined(options.overrides);
  const layers = describeLayers(options, fileValues, envLayer, flagValues);

  const merged = [fileValues, envLayer.values, flagValues].reduce<Record<string, unknown>>((acc, layer) => mergeInto(acc, layer), {});
  const result = configSchema.safeParse(merged, { error: describeProblem });
  if (!result.success) throw new ConfigError(result.error.issues.flatMap((issue) => toConfigIssues(issue, layers)));

  const sources = new Map<string, ValueSource>();
  for (const leaf of CONFIG_LEAVES) {
    const layer = layers.find((candidate) => getPath(candidate.values, leaf.path) !== undefined);
    if (layer !== undefined) sources.set(leaf.path, { kind: layer.kind, text: layer.describe(leaf.path) });
  }
  checkTlsFiles(result.data, sources, options.fileExists ?? existsSync);
  return { config: result.data, sources };
}

interface Layer {
  kind: ValueSource['kind'];
  values: Record<string, unknown>;
  describe(path: string): string;
}

/** Layers from the highest precedence to the lowest. */
function describeLayers(options: LoadConfigOptions, file: Record<string, unknown>, env: EnvLayer, flags: Record<string, unknown>): Layer[] {
  return [
    {
      kind: 'flag',
      values: flags,
      describe: (path) => {
        const name = options.flagNames?.[path] ?? defaultFlagName(path);
        const value = getPath(flags, path);
        return typeof value === 'boolean' ? name : `${name}=${JSON.stringify(value)}`;
      },
    },
    { kind: 'env', values: env.values, describe: (path) => env.sources.get(path)?.text ?? envVarName(path) },
    { kind: 'file', values: file, describe: () => `config file ${options.file ?? ''}` },
  ];
}

function defaultFlagName(path: string): string {
  if (path === 'log.level') return '--log-level';
  const last = path.split('.').pop() ?? path;
  return `--${last.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`;
}

function readConfigFile(file: string, read: ((path: string) => string) | undefined): Record<string, unknown> {
  const source = `config file ${file}`;
  const fail = (problem: string): never => {
    throw new ConfigError([{ path: '', source, sourceKind: 'file', problem }]);
  };
  let text = '';
  try {
    text = read === undefined ? readFileSync(file, 'utf8') : read(file);
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    fail(code === 'ENOENT' ? 'cannot be read: the file does not exist; check the --config path' : `cannot be read: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    fail(`is not valid JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(parsed)) return fail('must hold a JSON object such as {"node": {"id": "n1"}}');
  const secrets = ENV_ONLY_PATHS.filter((path) => getPath(parsed, path) !== undefined);
  if (secrets.length > 0) {
    throw new ConfigError(
      secrets.map((path) => ({
        path,
        source,
        sourceKind: 'file' as const,
        problem: `must not be in the config file: secrets come from the environment only; remove it and set ${envVarName(path)} instead`,
      })),
    );
  }
  // An editor hint, not a setting.
  const { $schema: _ignored, ...values } = parsed;
  return values;
}

function withoutUndefined(value: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    if (isPlainObject(item)) {
      const inner = withoutUndefined(item);
      if (Object.keys(inner).length > 0) out[key] = inner;
    } else {
      out[key] = item;
    }
  }
  return out;
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    target[key] = isPlainObject(existing) && isPlainObject(value) ? mergeInto({ ...existing }, value) : value;
  }
  return target;
}

/** Turns a zod issue into problem text at creation time (the schema's own messages win). */
function describeProblem(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      if (issue.expected === 'number' || issue.expected === 'int') {
        return typeof issue.input === 'number' ? 'must be a whole number' : 'must be a number';
      }
      if (issue.expected === 'boolean') return 'must be true or false';
      if (issue.expected === 'string') return 'must be text';
      if (issue.expected === 'array') return 'must be a list';
      if (issue.expected === 'object') return 'must be an object';
      return `must be ${issue.expected}`;
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters`;
      if (issue.origin === 'array') return `must have at least ${issue.minimum} item(s)`;
      return `must be at least ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters`;
      if (issue.origin === 'array') return `must have at most ${issue.maximum} item(s)`;
      return `must be at most ${issue.maximum}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => String(value)).join(', ')}`;
    default:
      return undefined;
  }
}

function toConfigIssues(issue: z.core.$ZodIssue, layers: Layer[]): ConfigIssue[] {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const full = displayPath([...path, key]);
      const close = closestNames(full, CONFIG_LEAVES.map((leaf) => leaf.path));
      const hint = close.length > 0 ? `; did you mean ${close.join(' or ')}?` : '';
      return { path: full, ...sourceOf([...path, key], layers), problem: `is not a known setting${hint}` };
    });
  }
  return [{ path: displayPath(path), ...sourceOf(path, layers), problem: issue.message }];
}

/** `client.servers[0]` rather than `client.servers.0`. */
function displayPath(path: readonly string[]): string {
  return path.map((segment, i) => (/^\d+$/.test(segment) ? `[${segment}]` : i === 0 ? segment : `.${segment}`)).join('');
}

/**
 * The source of the value at `path`: the highest layer holding it, else the highest layer holding a
 * plain value (a peer list string, say) at one of its parents. None when the value is missing.
 */
function sourceOf(path: string[], layers: Layer[]): Pick<ConfigIssue, 'source' | 'sourceKind'> {
  for (let length = path.length; length > 0; length--) {
    const prefix = path.slice(0, length).join('.');
    for (const layer of layers) {
      const value = getPath(layer.values, prefix);
      if (value === undefined || (length < path.length && isPlainObject(value))) continue;
      return { source: layer.describe(prefix), sourceKind: layer.kind };
    }
  }
  return { source: '', sourceKind: 'default' };
}

function checkTlsFiles(config: Config, sources: ReadonlyMap<string, ValueSource>, fileExists: (path: string) => boolean): void {
  if (config.tls === undefined) return;
  const issues: ConfigIssue[] = [];
  for (const key of ['ca', 'cert', 'key'] as const) {
    const file = config.tls[key];
    if (file === undefined || fileExists(file)) continue;
    const source = sources.get(`tls.${key}`);
    issues.push({
      path: `tls.${key}`,
      source: source?.text ?? '',
      sourceKind: source?.kind ?? 'default',
      problem: `names ${file}, which does not exist; give the path of a PEM file`,
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);
}
