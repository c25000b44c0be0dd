import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.ts';
import { CONFIG_LEAVES, envVarName } from './env-mapping.ts';
import { loadConfig, loadConfigWithSources } from './load-config.ts';
import type { LoadConfigOptions } from './load-config.ts';
import { defaultConfig } from './schema.ts';

/** Loads with an in-memory config file (when `file` is given) and TLS files that all exist. */
function load(options: { file?: unknown; env?: NodeJS.ProcessEnv; overrides?: object; fileExists?: (path: string) => boolean }) {
  const base: LoadConfigOptions = {
    env: options.env ?? {},
    overrides: options.overrides ?? {},
    fileExists: options.fileExists ?? (() => true),
  };
  if (options.file === undefined) return loadConfig(base);
  const text = typeof options.file === 'string' ? options.file : JSON.stringify(options.file);
  return loadConfig({ ...base, file: 'teambooth.json', readFile: () => text });
}

/** The message of the ConfigError thrown by `run`. */
function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('precedence: defaults < file < env < flags', () => {
  it('takes each layer over the one below it', () => {
    expect(load({}).node.raft.tickMs).toBe(50);
    expect(load({ file: { node: { raft: { tickMs: 60 } } } }).node.raft.tickMs).toBe(60);
    expect(load({ file: { node: { raft: { tickMs: 60 } } }, env: { TEAMBOOTH_RAFT_TICK_MS: '70' } }).node.raft.tickMs).toBe(70);
    expect(
      load({ file: { node: { raft: { tickMs: 60 } } }, env: { TEAMBOOTH_RAFT_TICK_MS: '70' }, overrides: { node: { raft: { tickMs: 80 } } } }).node.raft
        .tickMs,
    ).toBe(80);
  });

  it('merges sections key by key, and flags left undefined do not hide lower layers', () => {
    const config = load({
      file: { node: { listen: '127.0.0.1:7101', raft: { electionTicks: 20 } }, log: { level: 'warn' } },
      env: { TEAMBOOTH_NODE_ID: 'n1', TEAMBOOTH_RAFT_HEARTBEAT_TICKS: '2' },
      overrides: { node: { dataDir: '/data/n1', peers: undefined }, log: { level: undefined } },
    });
    expect(config.node).toMatchObject({ id: 'n1', listen: '127.0.0.1:7101', dataDir: '/data/n1', peers: { n1: '127.0.0.1:7101' } });
    expect(config.node.raft).toMatchObject({ electionTicks: 20, heartbeatTicks: 2, tickMs: 50 });
    expect(config.log.level).toBe('warn');
  });

  it('replaces lists and peer maps as a whole', () => {
    const config = load({
      file: { client: { servers: ['10.0.0.1:7001', '10.0.0.2:7001'] }, node: { id: 'n1', peers: { n1: '127.0.0.1:7001', n2: '127.0.0.1:7002' } } },
      env: { TEAMBOOTH_CLIENT_SERVERS: '10.0.0.9:7001', TEAMBOOTH_NODE_PEERS: 'n1=127.0.0.1:7001' },
    });
    expect(config.client.servers).toEqual(['10.0.0.9:7001']);
    expect(config.node.peers).toEqual({ n1: '127.0.0.1:7001' });
  });

  it('reports where each explicitly set key came from', () => {
    const { sources } = loadConfigWithSources({
      env: { TEAMBOOTH_LOG_LEVEL: 'debug', TEAMBOOTH_ADMIN_TOKEN: 'a'.repeat(32) },
      overrides: { node: { id: 'n1' } },
      file: 'x.json',
      readFile: () => '{"client": {"deadlineMs": 500}}',
    });
    expect(sources.get('log.level')).toEqual({ kind: 'env', text: 'TEAMBOOTH_LOG_LEVEL="debug"' });
    expect(sources.get('node.id')).toEqual({ kind: 'flag', text: '--id="n1"' });
    expect(sources.get('client.deadlineMs')).toEqual({ kind: 'file', text: 'config file x.json' });
    expect(sources.get('adminToken')).toEqual({ kind: 'env', text: 'TEAMBOOTH_ADMIN_TOKEN' });
    expect(sources.has('node.listen')).toBe(false);
  });
});

describe('environment mapping', () => {
  it('maps the documented variables', () => {
    const config = load({
      env: {
        TEAMBOOTH_NODE_ID: 'n2',
        TEAMBOOTH_NODE_LISTEN: '127.0.0.1:7002',
        TEAMBOOTH_NODE_PEERS: 'n1=127.0.0.1:7001,n2=127.0.0.1:7002',
        TEAMBOOTH_NODE_DATA_DIR: '/srv/n2',
        TEAMBOOTH_NODE_CLUSTER_ID: 'c-1234',
        TEAMBOOTH_NODE_JOIN: 'yes',
        TEAMBOOTH_NODE_METRICS_LISTEN: '0.0.0.0:9464',
        TEAMBOOTH_RAFT_TICK_MS: '25',
        TEAMBOOTH_RAFT_PRE_VOTE: 'false',
        TEAMBOOTH_CLIENT_SERVERS: '127.0.0.1:7001, 127.0.0.1:7002',
        TEAMBOOTH_CLIENT_DEADLINE_MS: '2500',
        TEAMBOOTH_LOG_LEVEL: 'debug',
        TEAMBOOTH_ADMIN_TOKEN: '0123456789abcdef0123',
        TEAMBOOTH_TLS_CA: 'ca.pem',
        TEAMBOOTH_TLS_CERT: 'node.pem',
        TEAMBOOTH_TLS_KEY: 'node-key.pem',
        TEAMBOOTH_DEBUG: '1',
        OTHER_VARIABLE: 'ignored',
      },
    });
    expect(config.node).toMatchObject({
      id: 'n2',
      listen: '127.0.0.1:7002',
      peers: { n1: '127.0.0.1:7001', n2: '127.0.0.1:7002' },
      dataDir: '/srv/n2',
      clusterId: 'c-1234',
      join: true,
      metricsListen: '0.0.0.0:9464',
    });
    expect(config.node.raft).toMatchObject({ tickMs: 25, preVote: false });
    expect(config.client).toEqual({ servers: ['127.0.0.1:7001', '127.0.0.1:7002'], deadlineMs: 2500 });
    expect(config.log.level).toBe('debug');
    expect(config.adminToken).toBe('0123456789abcdef0123');
    expect(config.tls).toEqual({ ca: 'ca.pem', cert: 'node.pem', key: 'node-key.pem' });
  });

  it('follows one rule: TEAMBOOTH_ + SCREAMING_SNAKE_CASE path, Raft keys without the node prefix', () => {
    expect(envVarName('node.dataDir')).toBe('TEAMBOOTH_NODE_DATA_DIR');
    expect(envVarName('node.raft.maxInflightMsgs')).toBe('TEAMBOOTH_RAFT_MAX_INFLIGHT_MSGS');
    expect(envVarName('adminToken')).toBe('TEAMBOOTH_ADMIN_TOKEN');
    expect(envVarName('tls.ca')).toBe('TEAMBOOTH_TLS_CA');
    expect(envVarName('node.metricsListen')).toBe('TEAMBOOTH_NODE_METRICS_LISTEN');
  });

  it('has a variable for every setting of the schema', () => {
    const leaves: string[] = [];
    const walk = (value: unknown, path: string): void => {
      if (typeof value === 'object' && value !== null && !Array.isArray(value) && path !== 'node.peers') {
        for (const [key, inner] of Object.entries(value)) walk(inner, path === '' ? key : `${path}.${key}`);
      } else {
        leaves.push(path);
      }
    };
    walk(load({ env: { TEAMBOOTH_NODE_ID: 'n1', TEAMBOOTH_ADMIN_TOKEN: 'x'.repeat(16), TEAMBOOTH_TLS_CA: 'ca' } }), '');
    const mapped = new Set(CONFIG_LEAVES.map((leaf) => leaf.path));
    expect(leaves.filter((leaf) => !mapped.has(leaf))).toEqual([]);
  });

  it('treats an empty variable as unset', () => {
    expect(load({ env: { TEAMBOOTH_NODE_LISTEN: '' } }).node.listen).toBe('127.0.0.1:7001');
  });

  it('refuses an unknown TEAMBOOTH_ variable, naming it and the close valid ones', () => {
    expect(errorOf(() => load({ env: { TEAMBOOTH_RAFT_TICKMS: '10' } }))).toBe(
      'config error: TEAMBOOTH_RAFT_TICKMS is not a known setting; did you mean TEAMBOOTH_RAFT_TICK_MS? (unset it, or see config/env-mapping.ts for every name)',
    );
    expect(errorOf(() => load({ env: { TEAMBOOTH_NODE_RAFT_TICK_MS: '10' } }))).toContain('did you mean TEAMBOOTH_RAFT_TICK_MS?');
    expect(errorOf(() => load({ env: { TEAMBOOTH_WHATEVER: '1' } }))).toContain('TEAMBOOTH_WHATEVER is not a known setting; valid names are');
  });
});

describe('bad values name the key and the source', () => {
  it('names the environment variable and its value', () => {
    expect(errorOf(() => load({ env: { TEAMBOOTH_RAFT_TICK_MS: 'abc' } }))).toBe(
      'config error: node.raft.tickMs (from TEAMBOOTH_RAFT_TICK_MS="abc") must be a number',
    );
    expect(errorOf(() => load({ env: { TEAMBOOTH_RAFT_TICK_MS: '0' } }))).toBe(
      'config error: node.raft.tickMs (from TEAMBOOTH_RAFT_TICK_MS="0") must be at least 1',
    );
    expect(errorOf(() => load({ env: { TEAMBOOTH_RAFT_CHECK_QUORUM: 'maybe' } }))).toBe(
      'config error: node.raft.checkQuorum (from TEAMBOOTH_RAFT_CHECK_QUORUM="maybe") must be true or false',
    );
    expect(errorOf(() => load({ env: { TEAMBOOTH_LOG_LEVEL: 'loud' } }))).toBe(
      'config error: log.level (from TEAMBOOTH_LOG_LEVEL="loud") must be one of fatal, error, warn, info, debug, trace, silent',
    );
  });

  it('names the config file', () => {
    expect(errorOf(() => load({ file: { node: { raft: { tickMs: 2.5 } } } }))).toBe(
      'config error: node.raft.tickMs (from config file teambooth.json) must be a whole number',
    );
    expect(errorOf(() => load({ file: { node: { raft: { tickMS: 5 } } } }))).toBe(
      'config error: node.raft.tickMS (from config file teambooth.json) is not a known setting; did you mean node.raft.tickMs?',
    );
  });

  it('names the flag', () => {
    expect(errorOf(() => load({ overrides: { node: { listen: 'localhost' } } }))).toBe(
      'config error: node.listen (from --listen="localhost") must be host:port, e.g. 127.0.0.1:7001 (got "localhost")',
    );
    expect(errorOf(() => load({ overrides: { node: { metricsListen: ':9464' } } }))).toBe(
      'config error: node.metricsListen (from --metrics-listen=":9464") must be host:port, e.g. 127.0.0.1:7001 (got ":9464")',
    );
    expect(errorOf(() => load({ overrides: { client: { servers: '127.0.0.1:7001,nope' } } }))).toMatch(
      /^config error: client\.servers\[1\] \(from --servers="127\.0\.0\.1:7001,nope"\) must be host:port/,
    );
    expect(
      errorOf(() => loadConfig({ env: {}, overrides: { log: { level: 'loud' } }, flagNames: { 'log.level': '--log-level' } })),
    ).toContain('log.level (from --log-level="loud")');
  });

  it('lists every problem, one line each, and tells flag errors apart', () => {
    let caught: unknown;
    try {
      load({ env: { TEAMBOOTH_RAFT_TICK_MS: 'x' }, overrides: { node: { id: 'BAD' } } });
    } catch (error) {
      caught = error;
    }
    const error = caught as ConfigError;
    expect(error.message.split('\n')).toHaveLength(2);
    expect(error.issues.map((issue) => issue.sourceKind).sort()).toEqual(['env', 'flag']);
    expect(error.fromFlagsOnly).toBe(false);
  });

  it('reports peer list problems against the variable that set them', () => {
    expect(errorOf(() => load({ env: { TEAMBOOTH_NODE_ID: 'n3', TEAMBOOTH_NODE_PEERS: 'n1=127.0.0.1:7001,n2=127.0.0.1:7002' } }))).toBe(
      'config error: node.peers (from TEAMBOOTH_NODE_PEERS="n1=127.0.0.1:7001,n2=127.0.0.1:7002") must include this node (n3); add n3=127.0.0.1:7001 to the list',
    );
    expect(errorOf(() => load({ file: { node: { id: 'n1', peers: { n1: '127.0.0.1:7001', n2: 7002 } } } }))).toContain(
      'node.peers (from config file teambooth.json) must map each node id to "host:port"; n2 maps to 7002',
    );
  });

  it('names TLS files that do not exist', () => {
    expect(errorOf(() => load({ env: { TEAMBOOTH_TLS_CA: '/nowhere/ca.pem' }, fileExists: () => false }))).toBe(
      'config error: tls.ca (from TEAMBOOTH_TLS_CA="/nowhere/ca.pem") names /nowhere/ca.pem, which does not exist; give the path of a PEM file',
    );
  });
});

describe('the config file', () => {
  it('refuses an admin token in the file and says to use the environment', () => {
    const message = errorOf(() => load({ file: { adminToken: 'a-very-secret-admin-token' } }));
    expect(message).toBe(
      'config error: adminToken (from config file teambooth.json) must not be in the config file: secrets come from the environment only; remove it and set TEAMBOOTH_ADMIN_TOKEN instead',
    );
    expect(message).not.toContain('a-very-secret-admin-token');
  });

  it('never echoes the admin token from the environment in errors', () => {
    const message = errorOf(() => load({ env: { TEAMBOOTH_ADMIN_TOKEN: 'short-secret' } }));
    expect(message).toBe('config error: adminToken (from TEAMBOOTH_ADMIN_TOKEN) must be at least 16 characters; generate one with `openssl rand -hex 32`');
  });

  it('explains a missing file, bad JSON and a non-object', () => {
    expect(errorOf(() => loadConfig({ env: {}, overrides: {}, file: '/definitely/not/here.json' }))).toBe(
      'config error: config file /definitely/not/here.json cannot be read: the file does not exist; check the --config path',
    );
    expect(errorOf(() => load({ file: '{"node": ' }))).toMatch(/^config error: config file teambooth\.json is not valid JSON: /);
    expect(errorOf(() => load({ file: '[1, 2]' }))).toBe(
      'config error: config file teambooth.json must hold a JSON object such as {"node": {"id": "n1"}}',
    );
  });

  it('ignores a $schema hint', () => {
    expect(load({ file: { $schema: './teambooth.schema.json', log: { level: 'error' } } }).log.level).toBe('error');
  });

  it('gives the defaults when nothing is set', () => {
    expect(load({})).toEqual(defaultConfig());
  });
});

describe('s3 settings', () => {
  it('reads the s3 section from TEAMBOOTH_S3_* variables', () => {
    const config = load({
      env: {
        TEAMBOOTH_S3_ENDPOINT: 'http://10.0.0.9:9000',
        TEAMBOOTH_S3_BUCKET: 'shared-model',
        TEAMBOOTH_S3_FORCE_PATH_STYLE: 'no',
        TEAMBOOTH_S3_PRESIGN_EXPIRY_SECONDS: '300',
        TEAMBOOTH_S3_ACCESS_KEY_ID: 'AKIAEXAMPLE',
        TEAMBOOTH_S3_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG',
      },
    });
    expect(config.s3).toMatchObject({
      endpoint: 'http://10.0.0.9:9000',
      bucket: 'shared-model',
      forcePathStyle: false,
      presignExpirySeconds: 300,
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG',
    });
  });

  it('refuses S3 credentials in the config file, without echoing them', () => {
    const message = errorOf(() => load({ file: { s3: { bucket: 'b-1', accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' } } }));
    expect(message).toBe(
      [
        'config error: s3.accessKeyId (from config file teambooth.json) must not be in the config file: secrets come from the environment only; remove it and set TEAMBOOTH_S3_ACCESS_KEY_ID instead',
        'config error: s3.secretAccessKey (from config file teambooth.json) must not be in the config file: secrets come from the environment only; remove it and set TEAMBOOTH_S3_SECRET_ACCESS_KEY instead',
      ].join('\n'),
    );
    expect(message).not.toContain('wJalr');
  });

  it('never echoes an S3 secret from the environment in errors', () => {
    const message = errorOf(() => load({ env: { TEAMBOOTH_S3_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG' } }));
    expect(message).toContain('s3.accessKeyId');
    expect(message).not.toContain('wJalr');
  });
});
