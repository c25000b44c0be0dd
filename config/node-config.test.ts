import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.ts';
import { loadConfigWithSources } from './load-config.ts';
import { toNodeConfig } from './node-config.ts';

const TOKEN = 'admin-token-for-tests-0123';

describe('toNodeConfig', () => {
  it('settles id, data dir, peers, Raft settings and the admin token of a node', () => {
    const { config, sources } = loadConfigWithSources({
      env: {},
      overrides: { node: { id: 'n1', listen: '127.0.0.1:7001', peers: 'n1=127.0.0.1:7001,n2=127.0.0.1:7002,n3=127.0.0.1:7003' } },
    });
    const node = toNodeConfig(config, TOKEN, sources);
    expect(node).toMatchObject({
      id: 'n1',
      listen: '127.0.0.1:7001',
      advertise: '127.0.0.1:7001',
      peers: { n1: '127.0.0.1:7001', n2: '127.0.0.1:7002', n3: '127.0.0.1:7003' },
      join: false,
      adminToken: TOKEN,
    });
    expect(node.dataDir).toMatch(/^\.teambooth[/\\]n1$/);
    expect(node.raft.tickMs).toBe(50);
    expect(node.tls).toBeUndefined();
    expect(node.metricsListen).toBeUndefined();
  });

  it('carries the metrics address to the node', () => {
    const { config, sources } = loadConfigWithSources({ env: { TEAMBOOTH_NODE_METRICS_LISTEN: '127.0.0.1:9464' }, overrides: { node: { id: 'n1' } } });
    expect(toNodeConfig(config, TOKEN, sources).metricsListen).toBe('127.0.0.1:9464');
  });

  it('needs a node id', () => {
    const { config } = loadConfigWithSources({ env: {}, overrides: {} });
    expect(() => toNodeConfig(config, TOKEN)).toThrow(ConfigError);
    expect(() => toNodeConfig(config, TOKEN)).toThrow('config error: node.id is required to run a node: pass --id or set TEAMBOOTH_NODE_ID');
  });

  it('needs a certificate and key when TLS is configured (mutual TLS between peers)', () => {
    const { config, sources } = loadConfigWithSources({ env: { TEAMBOOTH_TLS_CA: 'ca.pem', TEAMBOOTH_NODE_ID: 'n1' }, overrides: {}, fileExists: () => true });
    expect(() => toNodeConfig(config, TOKEN, sources)).toThrow(/tls\.cert \(from TEAMBOOTH_TLS_CA="ca.pem"\) is required on a node/);
    const full = loadConfigWithSources({
      env: { TEAMBOOTH_TLS_CA: 'ca.pem', TEAMBOOTH_TLS_CERT: 'n1.pem', TEAMBOOTH_TLS_KEY: 'n1-key.pem', TEAMBOOTH_NODE_ID: 'n1' },
      overrides: {},
      fileExists: () => true,
    });
    expect(toNodeConfig(full.config, TOKEN, full.sources).tls).toEqual({ ca: 'ca.pem', cert: 'n1.pem', key: 'n1-key.pem' });
  });
});
