import { ConfigError } from './config-error.ts';
import type { ConfigIssue } from './config-error.ts';
import type { ValueSource } from './load-config.ts';
import type { Config, NodeConfig } from './schema.ts';

/**
 * Settles what a node process needs from a loaded configuration: a node id (required), its data
 * dir, full TLS files when TLS is configured (peers use mutual TLS, so a node needs cert and key
 * too), and the admin token (see `resolveAdminToken`).
 * @param sources where each key came from, to name them in errors (from `loadConfigWithSources`).
 * @throws ConfigError naming the missing key and how to set it.
 */
export function toNodeConfig(config: Config, adminToken: string, sources: ReadonlyMap<string, ValueSource> = new Map()): NodeConfig {
  const { id, dataDir, ...node } = config.node;
  const issues: ConfigIssue[] = [];
  if (id === undefined || dataDir === undefined) {
    issues.push({ path: 'node.id', source: '', sourceKind: 'default', problem: 'is required to run a node: pass --id or set TEAMBOOTH_NODE_ID' });
  }
  const tls = config.tls;
  if (tls !== undefined && (tls.cert === undefined || tls.key === undefined)) {
    const source = sources.get('tls.ca');
    issues.push({
      path: 'tls.cert',
      source: source?.text ?? '',
      sourceKind: source?.kind ?? 'default',
      problem: 'is required on a node when TLS is configured (peers use mutual TLS): set tls.cert and tls.key (TEAMBOOTH_TLS_CERT, TEAMBOOTH_TLS_KEY)',
    });
  }
  if (issues.length > 0 || id === undefined || dataDir === undefined) throw new ConfigError(issues);
  return {
    ...node,
    id,
    dataDir,
    ...(tls?.cert !== undefined && tls.key !== undefined ? { tls: { ca: tls.ca, cert: tls.cert, key: tls.key } } : {}),
    adminToken,
    s3: config.s3,
    jobs: config.jobs,
  };
}
