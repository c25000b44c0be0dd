import { ConfigError } from './config-error.ts';
import type { ConfigIssue } from './config-error.ts';
import { setPath } from './object-path.ts';

/**
 * The mapping between configuration keys and `TEAMBOOTH_*` environment variables.
 *
 * Rule: `TEAMBOOTH_` + the key path with each segment in SCREAMING_SNAKE_CASE, except that the
 * Raft tunables drop their `node` prefix:
 *
 *   node.id               TEAMBOOTH_NODE_ID          node.raft.tickMs   TEAMBOOTH_RAFT_TICK_MS
 *   node.listen           TEAMBOOTH_NODE_LISTEN      client.servers     TEAMBOOTH_CLIENT_SERVERS (a,b,c)
 *   node.peers            TEAMBOOTH_NODE_PEERS (n1=host:port,n2=host:port)
 *   node.dataDir          TEAMBOOTH_NODE_DATA_DIR    log.level          TEAMBOOTH_LOG_LEVEL
 *   tls.ca/cert/key       TEAMBOOTH_TLS_CA/CERT/KEY  adminToken         TEAMBOOTH_ADMIN_TOKEN
 *   s3.endpoint           TEAMBOOTH_S3_ENDPOINT      s3.secretAccessKey TEAMBOOTH_S3_SECRET_ACCESS_KEY
 *
 * Numbers and booleans (true/false, 1/0, yes/no, on/off) are converted here; a value that does
 * not convert is passed on as text so the schema reports it against the variable. An empty
 * variable counts as unset. Any other `TEAMBOOTH_*` variable is an error, except those listed in
 * {@link NON_CONFIG_ENV_VARS}.
 */

/** How an environment value is converted before validation. `secret` values are never echoed in errors. */
export type LeafKind = 'string' | 'number' | 'boolean' | 'secret';

/** One settable configuration key. */
export interface ConfigLeaf {
  path: string;
  kind: LeafKind;
  env: string;
}

const LEAF_KINDS: ReadonlyArray<readonly [string, LeafKind]> = [
  ['node.id', 'string'],
  ['node.listen', 'string'],
  ['node.advertise', 'string'],
  ['node.peers', 'string'],
  ['node.dataDir', 'string'],
  ['node.clusterId', 'string'],
  ['node.join', 'boolean'],
  ['node.metricsListen', 'string'],
  ['node.raft.tickMs', 'number'],
  ['node.raft.electionTicks', 'number'],
  ['node.raft.heartbeatTicks', 'number'],
  ['node.raft.preVote', 'boolean'],
  ['node.raft.checkQuorum', 'boolean'],
  ['node.raft.maxSizePerMsg', 'number'],
  ['node.raft.maxInflightMsgs', 'number'],
  ['node.raft.maxUncommittedBytes', 'number'],
  ['node.raft.snapshotEntries', 'number'],
  ['node.raft.snapshotChunkBytes', 'number'],
  ['node.raft.maxMessageBytes', 'number'],
  ['client.servers', 'string'],
  ['client.deadlineMs', 'number'],
  ['tls.ca', 'string'],
  ['tls.cert', 'string'],
  ['tls.key', 'string'],
  ['log.level', 'string'],
  ['jobs.leaseMs', 'number'],
  ['jobs.leaseCheckMs', 'number'],
  ['s3.endpoint', 'string'],
  ['s3.publicEndpoint', 'string'],
  ['s3.region', 'string'],
  ['s3.bucket', 'string'],
  ['s3.forcePathStyle', 'boolean'],
  ['s3.deadlineMs', 'number'],
  ['s3.presignExpirySeconds', 'number'],
  ['s3.embeddedListen', 'string'],
  ['s3.embeddedDir', 'string'],
  ['s3.accessKeyId', 'secret'],
  ['s3.secretAccessKey', 'secret'],
  ['adminToken', 'secret'],
];

/** Keys settable from the environment only: a config file holding one is refused, and there is no flag. */
export const ENV_ONLY_PATHS: readonly string[] = ['adminToken', 's3.accessKeyId', 's3.secretAccessKey'];

/** `TEAMBOOTH_*` variables that are not configuration keys (read elsewhere). */
export const NON_CONFIG_ENV_VARS: readonly string[] = [
  /** Print stack traces of CLI errors. */
  'TEAMBOOTH_DEBUG',
  /** The token of `teambooth agent` (read by cli/commands/agent.ts; a secret, so never a config key). */
  'TEAMBOOTH_AGENT_TOKEN',
  /** The chat bots' credentials and admins (read by cli/commands/bot.ts; tokens are secrets). */
  'TEAMBOOTH_DISCORD_TOKEN',
  'TEAMBOOTH_DISCORD_ADMIN_ROLE',
  'TEAMBOOTH_SLACK_BOT_TOKEN',
  'TEAMBOOTH_SLACK_SIGNING_SECRET',
  'TEAMBOOTH_SLACK_APP_TOKEN',
  'TEAMBOOTH_SLACK_ADMINS',
];

const ENV_PREFIX = 'TEAMBOOTH_';

/** The environment variable for a key path, by the rule above. */
export function envVarName(path: string): string {
  const segments = path.startsWith('node.raft.') ? path.split('.').slice(1) : path.split('.');
  return ENV_PREFIX + segments.map((segment) => segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

/** Every settable key with its kind and environment variable. */
export const CONFIG_LEAVES: readonly ConfigLeaf[] = LEAF_KINDS.map(([path, kind]) => ({ path, kind, env: envVarName(path) }));

/** Where one value of the environment layer came from. */
export interface EnvSource {
  env: string;
  /** Description for error messages: `TEAMBOOTH_X="value"`, or the bare name for secrets. */
  text: string;
}

/** The configuration values found in the environment, as a partial config object. */
export interface EnvLayer {
  values: Record<string, unknown>;
  sources: Map<string, EnvSource>;
}

/**
 * Reads the `TEAMBOOTH_*` variables of `env` into a partial configuration.
 * @throws ConfigError naming every unknown `TEAMBOOTH_*` variable and the closest valid names.
 */
export function readEnvLayer(env: NodeJS.ProcessEnv): EnvLayer {
  const byEnv = new Map(CONFIG_LEAVES.map((leaf) => [leaf.env, leaf]));
  const values: Record<string, unknown> = {};
  const sources = new Map<string, EnvSource>();
  const unknown: ConfigIssue[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(ENV_PREFIX) || NON_CONFIG_ENV_VARS.includes(name)) continue;
    const raw = env[name];
    const leaf = byEnv.get(name);
    if (leaf === undefined) {
      unknown.push({ path: name, source: '', sourceKind: 'env', problem: unknownVariableProblem(name) });
      continue;
    }
    if (raw === undefined || raw === '') continue;
    setPath(values, leaf.path, convert(raw, leaf.kind));
    sources.set(leaf.path, { env: name, text: leaf.kind === 'secret' ? name : `${name}=${JSON.stringify(raw)}` });
  }
  if (unknown.length > 0) throw new ConfigError(unknown);
  return { values, sources };
}

function convert(raw: string, kind: LeafKind): unknown {
  const text = raw.trim();
  if (kind === 'number') return /^[-+]?\d+(\.\d+)?$/.test(text) ? Number(text) : raw;
  if (kind === 'boolean') {
    const lower = text.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(lower)) return true;
    if (['false', '0', 'no', 'off'].includes(lower)) return false;
    return raw;
  }
  return kind === 'secret' ? raw : text;
}

function unknownVariableProblem(name: string): string {
  const close = closestNames(name, CONFIG_LEAVES.map((leaf) => leaf.env));
  const hint =
    close.length > 0
      ? `did you mean ${close.join(' or ')}?`
      : `valid names are ${ENV_PREFIX}<SECTION>_<KEY>, e.g. ${CONFIG_LEAVES.slice(0, 3).map((leaf) => leaf.env).join(', ')}`;
  return `is not a known setting; ${hint} (unset it, or see config/env-mapping.ts for every name)`;
}

/** Up to three candidates close to `name`: small edit distance first, then most shared words. */
export function closestNames(name: string, candidates: readonly string[]): string[] {
  const byDistance = candidates
    .map((candidate) => ({ candidate, distance: editDistance(name, candidate) }))
    .filter(({ distance }) => distance <= 3)
    .sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate));
  if (byDistance.length > 0) return byDistance.slice(0, 3).map(({ candidate }) => candidate);
  const words = new Set(name.split(/[_.]/).filter((word) => word !== '' && word !== 'TEAMBOOTH'));
  const scored = candidates.map((candidate) => ({ candidate, shared: candidate.split(/[_.]/).filter((word) => words.has(word)).length }));
  const best = Math.max(0, ...scored.map(({ shared }) => shared));
  if (best === 0) return [];
  return scored
    .filter(({ shared }) => shared === best)
    .map(({ candidate }) => candidate)
    .sort()
    .slice(0, 3);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
