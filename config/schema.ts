import { join } from 'node:path';
import { z } from 'zod';
import { checkPeerEntries, hostPortProblem, NODE_ID_PATTERN, NODE_ID_RULE, parsePeerList } from './address.ts';

/**
 * The one configuration schema of every Teambooth process (nodes, CLI, bots, agents).
 * Every default runs on one machine: a node listens on 127.0.0.1:7001 and a client talks to the
 * local three-node cluster on 127.0.0.1:7001-7003.
 *
 * Values come from defaults < the JSON config file < `TEAMBOOTH_*` environment variables < CLI
 * flags (see load-config.ts). Secrets (`adminToken`, the S3 credentials) come from the environment only: production
 * sets `TEAMBOOTH_ADMIN_TOKEN`; without it, processes on one machine share a generated token in
 * `.teambooth/admin-token` (see admin-token.ts).
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/** Log levels accepted by `log.level` and `--log-level`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Default client servers: the local three-node cluster started by `teambooth up`. */
export const DEFAULT_SERVERS: readonly string[] = ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003'];

function hostPort(options: { allowPortZero?: boolean } = {}) {
  return z.string().superRefine((value, ctx) => {
    const problem = hostPortProblem(value, options);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `n1=host:port,n2=...` (flags, env) or `{ "n1": "host:port", ... }` (file). */
const peersSchema = z.unknown().transform((value, ctx): Record<string, string> => {
  let parsed;
  if (typeof value === 'string') {
    parsed = parsePeerList(value);
  } else if (isPlainObject(value)) {
    const entries: Array<[string, string]> = [];
    for (const [id, address] of Object.entries(value)) {
      if (typeof address !== 'string') {
        ctx.addIssue({ code: 'custom', message: `must map each node id to "host:port"; ${id} maps to ${JSON.stringify(address)}` });
        return z.NEVER;
      }
      entries.push([id, address]);
    }
    parsed = checkPeerEntries(entries);
  } else {
    ctx.addIssue({ code: 'custom', message: 'must be id=host:port,id=host:port or an object of id -> "host:port"' });
    return z.NEVER;
  }
  if (!parsed.ok) {
    for (const problem of parsed.problems) ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  return parsed.peers;
});

const int = (min: number, max: number) => z.int().min(min).max(max);

/** Raft tunables. Times are in ticks of `tickMs`; sizes in bytes. */
export const raftSchema = z
  .strictObject({
    tickMs: int(1, 10_000).default(50),
    electionTicks: int(2, 10_000).default(10),
    heartbeatTicks: int(1, 10_000).default(1),
    preVote: z.boolean().default(true),
    checkQuorum: z.boolean().default(true),
    maxSizePerMsg: int(1, 1024 * MiB).default(MiB),
    maxInflightMsgs: int(1, 1 << 16).default(256),
    maxUncommittedBytes: int(1, 16 * 1024 * MiB).default(64 * MiB),
    snapshotEntries: int(1, 1e9).default(10_000),
    snapshotChunkBytes: int(KiB, 1024 * MiB).default(MiB),
    maxMessageBytes: int(64 * KiB, 2047 * MiB).default(16 * MiB),
  })
  .superRefine((raft, ctx) => {
    if (raft.heartbeatTicks >= raft.electionTicks) {
      ctx.addIssue({
        code: 'custom',
        path: ['heartbeatTicks'],
        message: `must be less than node.raft.electionTicks (${raft.electionTicks}), or followers would campaign between heartbeats`,
      });
    }
    // Leave room for the message envelope around a full batch or chunk.
    const room = raft.maxMessageBytes - 64 * KiB;
    if (raft.maxSizePerMsg > room) {
      ctx.addIssue({ code: 'custom', path: ['maxSizePerMsg'], message: `must be at most node.raft.maxMessageBytes - 64 KiB (${room})` });
    }
    if (raft.snapshotChunkBytes > room) {
      ctx.addIssue({ code: 'custom', path: ['snapshotChunkBytes'], message: `must be at most node.raft.maxMessageBytes - 64 KiB (${room})` });
    }
  })
  .prefault({});

/** The `node` section: identity, addresses and storage of one cluster member. */
export const nodeSchema = z
  .strictObject({
    id: z.string().regex(NODE_ID_PATTERN, `must be ${NODE_ID_RULE}`).optional(),
    listen: hostPort({ allowPortZero: true }).default('127.0.0.1:7001'),
    advertise: hostPort().optional(),
    peers: peersSchema.optional(),
    dataDir: z.string().min(1).optional(),
    clusterId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, 'must be letters, digits and dashes (at most 64), as printed by `teambooth status`')
      .optional(),
    join: z.boolean().default(false),
    metricsListen: hostPort({ allowPortZero: true }).optional(),
    raft: raftSchema,
  })
  .transform((node, ctx) => {
    const advertise = node.advertise ?? node.listen;
    let peers = node.peers;
    if (node.id !== undefined) {
      if (peers === undefined) {
        peers = { [node.id]: advertise };
      } else if (!Object.hasOwn(peers, node.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['peers'],
          message: `must include this node (${node.id}); add ${node.id}=${advertise} to the list`,
        });
      } else if (peers[node.id] !== advertise) {
        ctx.addIssue({
          code: 'custom',
          path: ['peers'],
          message:
            `gives this node (${node.id}) the address ${peers[node.id]}, but it advertises ${advertise}; ` +
            'make them match, or set node.advertise (--advertise) to the address its peers should dial',
        });
      }
    }
    return {
      id: node.id,
      listen: node.listen,
      /** The address peers and clients dial; defaults to `listen`. */
      advertise,
      /** Bootstrap membership: node id -> address. Defaults to this node alone. */
      peers: peers ?? {},
      /** Defaults to `.teambooth/<id>` (relative to the working directory). */
      dataDir: node.dataDir ?? (node.id === undefined ? undefined : join('.teambooth', node.id)),
      /** Generated at bootstrap and stored in the data dir when not given. */
      clusterId: node.clusterId,
      /** Start as a new member with no bootstrap membership and wait to be added (`teambooth cluster add-node`). */
      join: node.join,
      /** Where to serve Prometheus metrics (`GET /metrics`); unset serves none. */
      metricsListen: node.metricsListen,
      raft: node.raft,
    };
  })
  .prefault({});

const serverListSchema = z.preprocess(
  (value) => (typeof value === 'string' ? value.split(',').map((item) => item.trim()).filter((item) => item !== '') : value),
  z
    .array(hostPort())
    .min(1, 'must list at least one server as host:port')
    .superRefine((servers, ctx) => {
      const seen = new Set<string>();
      for (const server of servers) {
        if (seen.has(server)) ctx.addIssue({ code: 'custom', message: `lists ${server} twice` });
        seen.add(server);
      }
    }),
);

/** The `client` section: how CLI, bots and agents reach the cluster. */
export const clientSchema = z
  .strictObject({
    servers: serverListSchema.default([...DEFAULT_SERVERS]),
    deadlineMs: int(100, 3_600_000).default(10_000),
  })
  .prefault({});

/** TLS file paths (PEM). With all three, peers use mutual TLS; a client needs only `ca`. */
export const tlsSchema = z
  .strictObject({
    ca: z.string().min(1).optional(),
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
  })
  .transform((tls, ctx) => {
    if (tls.ca === undefined) {
      ctx.addIssue({ code: 'custom', path: ['ca'], message: 'is required when TLS is configured (set TEAMBOOTH_TLS_CA or tls.ca)' });
      return z.NEVER;
    }
    if ((tls.cert === undefined) !== (tls.key === undefined)) {
      const missing = tls.cert === undefined ? 'cert' : 'key';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'is required too: tls.cert and tls.key go together' });
      return z.NEVER;
    }
    return { ca: tls.ca, ...(tls.cert !== undefined && tls.key !== undefined ? { cert: tls.cert, key: tls.key } : {}) };
  })
  .optional();

/** An `http://` or `https://` URL with a host and nothing after the port (an S3 endpoint). */
function endpointUrl() {
  return z.string().superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a URL such as http://127.0.0.1:7100 or https://s3.eu-west-1.amazonaws.com' });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: `must start with http:// or https:// (got ${url.protocol})` });
    } else if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.username !== '' || url.password !== '') {
      ctx.addIssue({ code: 'custom', message: 'must be only scheme, host and port (no path, query or credentials); the bucket goes in s3.bucket' });
    }
  });
}

/**
 * The `s3` section: where blobs live (photos, results, LoRAs, tensors, manifests; see
 * docs/s3-layout.md). Without `endpoint`, the cluster uses the embedded S3 server it starts on
 * `embeddedListen`. Credentials come from the environment only (TEAMBOOTH_S3_ACCESS_KEY_ID and
 * TEAMBOOTH_S3_SECRET_ACCESS_KEY), both or neither.
 */
export const s3Schema = z
  .strictObject({
    endpoint: endpointUrl().optional(),
    /** Endpoint written into presigned URLs for agents, when they reach S3 by another address (default: `endpoint`). */
    publicEndpoint: endpointUrl().optional(),
    region: z
      .string()
      .regex(/^[a-z0-9-]{1,32}$/, 'must be an S3 region name such as us-east-1')
      .default('us-east-1'),
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name: 3-63 lowercase letters, digits, "." or "-"')
      .default('teambooth'),
    forcePathStyle: z.boolean().default(true),
    /** Budget of one S3 call, retries included. */
    deadlineMs: int(100, 3_600_000).default(30_000),
    /** Lifetime of presigned URLs handed to agents; at most one hour. */
    presignExpirySeconds: int(1, 3600).default(600),
    embeddedListen: hostPort({ allowPortZero: true }).default('127.0.0.1:7100'),
    embeddedDir: z.string().min(1).default(join('.teambooth', 's3')),
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
  })
  .superRefine((s3, ctx) => {
    if ((s3.accessKeyId === undefined) !== (s3.secretAccessKey === undefined)) {
      const missing = s3.accessKeyId === undefined ? 'accessKeyId' : 'secretAccessKey';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: 'is required too: set TEAMBOOTH_S3_ACCESS_KEY_ID and TEAMBOOTH_S3_SECRET_ACCESS_KEY together, or neither',
      });
    }
  })
  .prefault({});

/** The `jobs` section: how nodes lease jobs to agents (docs/jobs.md). */
export const jobsSchema = z
  .strictObject({
    /** Lease of a claimed job; every progress report renews it, so it bounds how long a vanished agent holds a job. */
    leaseMs: int(1000, 3_600_000).default(30_000),
    /** How often the leader looks for expired leases. */
    leaseCheckMs: int(50, 60_000).default(1000),
  })
  .prefault({});

/** The `log` section. */
export const logSchema = z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).prefault({});

/** The whole configuration of a Teambooth process. */
export const configSchema = z.strictObject({
  node: nodeSchema,
  client: clientSchema,
  tls: tlsSchema,
  log: logSchema,
  s3: s3Schema,
  jobs: jobsSchema,
  /**
   * Admin credential for membership changes and writes. Environment only (`TEAMBOOTH_ADMIN_TOKEN`);
   * never in the config file. See `resolveAdminToken` for the local default.
   */
  adminToken: z.string().min(16, 'must be at least 16 characters; generate one with `openssl rand -hex 32`').optional(),
});

/** A validated configuration. */
export type Config = z.output<typeof configSchema>;
/** The `node` section after defaults. `id` and `dataDir` are undefined unless a node id is configured. */
export type NodeSettings = Config['node'];
/** Raft tunables after defaults. */
export type RaftSettings = NodeSettings['raft'];
/** The `client` section after defaults. */
export type ClientConfig = Config['client'];
/** TLS file paths: `ca` always, `cert` and `key` together (required between peers). */
export type TlsFiles = NonNullable<Config['tls']>;
/** The `log` section after defaults. */
export type LogConfig = Config['log'];
/** The `s3` section after defaults. */
export type S3Config = Config['s3'];
/** The `jobs` section after defaults. */
export type JobsConfig = Config['jobs'];
/** One of {@link LOG_LEVELS}. */
export type LogLevel = LogConfig['level'];

/**
 * Everything a node process runs with (see `toNodeConfig`): the node section with its id and data
 * dir settled, full TLS files when configured (mutual TLS between peers), and the admin token the
 * node checks admin calls against.
 */
export type NodeConfig = Omit<NodeSettings, 'id' | 'dataDir'> & {
  id: string;
  dataDir: string;
  tls?: Required<TlsFiles>;
  adminToken: string;
  /** Where the node keeps photos and results, and presigns URLs for agents. */
  s3: S3Config;
  jobs: JobsConfig;
};

/** The configuration with nothing set: every default, for one machine. */
export function defaultConfig(): Config {
  return configSchema.parse({});
}

export { resolveAdminToken } from './admin-token.ts';
