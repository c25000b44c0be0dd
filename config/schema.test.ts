import { describe, expect, it } from 'vitest';
import { configSchema, defaultConfig } from './schema.ts';

/** Problems reported by the schema, as "path: message" lines. */
function problems(input: unknown): string[] {
  const result = configSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('defaultConfig', () => {
  it('runs on one machine: a node on 127.0.0.1:7001, clients of the local 3-node cluster', () => {
    const config = defaultConfig();
    expect(config.node.listen).toBe('127.0.0.1:7001');
    expect(config.node.advertise).toBe('127.0.0.1:7001');
    expect(config.client.servers).toEqual(['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003']);
    expect(config.client.deadlineMs).toBe(10_000);
    expect(config.log.level).toBe('info');
    expect(config.tls).toBeUndefined();
    expect(config.adminToken).toBeUndefined();
    expect(config.node.metricsListen).toBeUndefined();
  });

  it('has the documented Raft defaults', () => {
    expect(defaultConfig().node.raft).toEqual({
      tickMs: 50,
      electionTicks: 10,
      heartbeatTicks: 1,
      preVote: true,
      checkQuorum: true,
      maxSizePerMsg: 1024 * 1024,
      maxInflightMsgs: 256,
      maxUncommittedBytes: 64 * 1024 * 1024,
      snapshotEntries: 10_000,
      snapshotChunkBytes: 1024 * 1024,
      maxMessageBytes: 16 * 1024 * 1024,
    });
  });

  it('returns a fresh object each time', () => {
    const a = defaultConfig();
    a.client.servers.push('10.0.0.1:7001');
    expect(defaultConfig().client.servers).toHaveLength(3);
  });
});

describe('node section', () => {
  it('gives a node alone its own address as peers and .teambooth/<id> as data dir', () => {
    const node = configSchema.parse({ node: { id: 'n1', listen: '127.0.0.1:7005' } }).node;
    expect(node.peers).toEqual({ n1: '127.0.0.1:7005' });
    expect(node.dataDir).toMatch(/^\.teambooth[/\\]n1$/);
  });

  it('parses a peer list and keeps an explicit data dir', () => {
    const node = configSchema.parse({
      node: { id: 'n2', listen: '127.0.0.1:7002', peers: 'n1=127.0.0.1:7001, n2=127.0.0.1:7002 ,n3=127.0.0.1:7003', dataDir: '/var/lib/tb' },
    }).node;
    expect(node.peers).toEqual({ n1: '127.0.0.1:7001', n2: '127.0.0.1:7002', n3: '127.0.0.1:7003' });
    expect(node.dataDir).toBe('/var/lib/tb');
  });

  it('accepts peers as an object (config file form) and IPv6 and host names', () => {
    const node = configSchema.parse({
      node: { id: 'a', advertise: 'a.example.com:7001', peers: { a: 'a.example.com:7001', b: '[::1]:7002' } },
    }).node;
    expect(node.peers).toEqual({ a: 'a.example.com:7001', b: '[::1]:7002' });
  });

  it('refuses duplicate ids in a peer list', () => {
    expect(problems({ node: { id: 'n1', peers: 'n1=127.0.0.1:7001,n1=127.0.0.1:7002' } })).toEqual([
      'node.peers: lists node id n1 twice (127.0.0.1:7001 and 127.0.0.1:7002); every peer needs its own id',
    ]);
  });

  it('refuses two peers with the same address', () => {
    expect(problems({ node: { id: 'n1', peers: 'n1=127.0.0.1:7001,n2=127.0.0.1:7001' } })).toEqual([
      'node.peers: gives n1 and n2 the same address 127.0.0.1:7001; every peer needs its own address',
    ]);
  });

  it('refuses peers that leave out the node itself', () => {
    expect(problems({ node: { id: 'n1', peers: 'n2=127.0.0.1:7002,n3=127.0.0.1:7003' } })).toEqual([
      'node.peers: must include this node (n1); add n1=127.0.0.1:7001 to the list',
    ]);
  });

  it('refuses bad peer addresses, items without "=", and bad peer ids', () => {
    expect(problems({ node: { id: 'n1', peers: 'n1=127.0.0.1:7001,n2=localhost' } })).toEqual([
      'node.peers: has a bad address for n2: must be host:port, e.g. 127.0.0.1:7001 (got "localhost")',
    ]);
    expect(problems({ node: { peers: 'n1=127.0.0.1:7001,n2=127.0.0.1:99999' } })[0]).toContain('port 99999; a port must be between 1 and 65535');
    expect(problems({ node: { peers: '127.0.0.1:7001' } })[0]).toContain('"127.0.0.1:7001", which is not id=host:port');
    expect(problems({ node: { peers: 'N1=127.0.0.1:7001' } })[0]).toContain('has peer id "N1"; a node id is lowercase letters');
    expect(problems({ node: { peers: '' } })).toEqual(['node.peers: must list at least one peer as id=host:port']);
  });

  it('refuses a peer entry that gives this node another address than it advertises', () => {
    const [problem] = problems({ node: { id: 'n1', listen: '0.0.0.0:7001', peers: 'n1=10.0.0.1:7001,n2=10.0.0.2:7001' } });
    expect(problem).toContain('gives this node (n1) the address 10.0.0.1:7001, but it advertises 0.0.0.0:7001');
    expect(problem).toContain('--advertise');
    // Setting advertise fixes it.
    expect(problems({ node: { id: 'n1', listen: '0.0.0.0:7001', advertise: '10.0.0.1:7001', peers: 'n1=10.0.0.1:7001,n2=10.0.0.2:7001' } })).toEqual([]);
  });

  it('refuses malformed node ids and listen addresses; allows port 0 only for listen', () => {
    expect(problems({ node: { id: 'Node_1' } })[0]).toMatch(/^node\.id: must be lowercase letters, digits and dashes/);
    expect(problems({ node: { listen: '127.0.0.1' } })).toEqual(['node.listen: must be host:port, e.g. 127.0.0.1:7001 (got "127.0.0.1")']);
    expect(problems({ node: { listen: '127.0.0.1:0' } })).toEqual([]);
    expect(problems({ node: { advertise: '127.0.0.1:0' } })[0]).toContain('a port must be between 1 and 65535');
  });

  it('takes an optional metrics address (port 0 allowed) and refuses a malformed one', () => {
    expect(configSchema.parse({ node: { metricsListen: '0.0.0.0:9464' } }).node.metricsListen).toBe('0.0.0.0:9464');
    expect(problems({ node: { metricsListen: '127.0.0.1:0' } })).toEqual([]);
    expect(problems({ node: { metricsListen: '9464' } })).toEqual(['node.metricsListen: must be host:port, e.g. 127.0.0.1:7001 (got "9464")']);
    expect(problems({ node: { metricsListen: '127.0.0.1:70000' } })).toEqual(['node.metricsListen: has port 70000; a port must be between 0 and 65535']);
  });

  it('refuses Raft settings that cannot work together', () => {
    expect(problems({ node: { raft: { heartbeatTicks: 10, electionTicks: 10 } } })[0]).toMatch(
      /^node\.raft\.heartbeatTicks: must be less than node\.raft\.electionTicks \(10\)/,
    );
    expect(problems({ node: { raft: { maxMessageBytes: 1024 * 1024 } } }).join('\n')).toContain('node.raft.maxSizePerMsg: must be at most');
  });

  it('refuses unknown keys', () => {
    expect(problems({ node: { raft: { tickMS: 5 } } })).toHaveLength(1);
    expect(problems({ nodes: {} })).toHaveLength(1);
  });
});

describe('client, tls and log sections', () => {
  it('accepts servers as a list or a comma-separated string and refuses duplicates', () => {
    expect(configSchema.parse({ client: { servers: 'a:1, b:2' } }).client.servers).toEqual(['a:1', 'b:2']);
    expect(problems({ client: { servers: ['a:1', 'a:1'] } })).toEqual(['client.servers: lists a:1 twice']);
    expect(problems({ client: { servers: [] } })).toEqual(['client.servers: must list at least one server as host:port']);
  });

  it('needs a CA for TLS, and cert and key together', () => {
    expect(configSchema.parse({ tls: { ca: 'ca.pem' } }).tls).toEqual({ ca: 'ca.pem' });
    expect(configSchema.parse({ tls: { ca: 'ca.pem', cert: 'c.pem', key: 'k.pem' } }).tls).toEqual({ ca: 'ca.pem', cert: 'c.pem', key: 'k.pem' });
    expect(problems({ tls: { cert: 'c.pem', key: 'k.pem' } })[0]).toMatch(/^tls\.ca: is required when TLS is configured/);
    expect(problems({ tls: { ca: 'ca.pem', cert: 'c.pem' } })[0]).toMatch(/^tls\.key: is required too/);
  });

  it('accepts only known log levels', () => {
    expect(configSchema.parse({ log: { level: 'debug' } }).log.level).toBe('debug');
    expect(problems({ log: { level: 'loud' } })).toHaveLength(1);
  });
});

describe('s3 section', () => {
  it('defaults to the embedded S3 server of one machine', () => {
    expect(defaultConfig().s3).toEqual({
      region: 'us-east-1',
      bucket: 'teambooth',
      forcePathStyle: true,
      deadlineMs: 30_000,
      presignExpirySeconds: 600,
      embeddedListen: '127.0.0.1:7100',
      embeddedDir: expect.stringMatching(/^\.teambooth[/\\]s3$/),
    });
  });

  it('accepts an S3 endpoint and refuses one with a path or another scheme', () => {
    expect(configSchema.parse({ s3: { endpoint: 'https://s3.eu-west-1.amazonaws.com' } }).s3.endpoint).toBe('https://s3.eu-west-1.amazonaws.com');
    expect(problems({ s3: { endpoint: 'http://minio:9000/teambooth' } })).toEqual([
      's3.endpoint: must be only scheme, host and port (no path, query or credentials); the bucket goes in s3.bucket',
    ]);
    expect(problems({ s3: { endpoint: 'ftp://host' } })).toEqual(['s3.endpoint: must start with http:// or https:// (got ftp:)']);
    expect(problems({ s3: { endpoint: 'minio:9000' } })[0]).toMatch(/^s3\.endpoint: must/);
  });

  it('refuses bad bucket names and presigned URLs that live longer than an hour', () => {
    expect(problems({ s3: { bucket: 'Team_Booth' } })[0]).toMatch(/^s3\.bucket: must be an S3 bucket name/);
    expect(problems({ s3: { presignExpirySeconds: 7200 } })).toHaveLength(1);
  });

  it('needs both credentials or neither', () => {
    expect(configSchema.parse({ s3: { accessKeyId: 'AKIA0000', secretAccessKey: 'secret' } }).s3.accessKeyId).toBe('AKIA0000');
    expect(problems({ s3: { accessKeyId: 'AKIA0000' } })).toEqual([
      's3.secretAccessKey: is required too: set TEAMBOOTH_S3_ACCESS_KEY_ID and TEAMBOOTH_S3_SECRET_ACCESS_KEY together, or neither',
    ]);
  });
});
