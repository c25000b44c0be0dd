import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { toNodeConfig } from '../../../config/node-config.ts';
import { configSchema } from '../../../config/schema.ts';
import { startTestS3, type TestS3 } from '../../blob-store/test-s3-fixture.ts';
import { ClusterClient } from '../../client/cluster-client.ts';
import { importBaseVersion } from '../../models/model-versions.ts';
import { startNode, type RunningNode } from '../../server/start-node.ts';
import { registerAgent } from '../agent-token.ts';
import type { AgentCapabilities, AgentView } from '../../state/types.ts';

export const TEST_ADMIN_TOKEN = 'jobs-test-admin-token-0123456789';

/** An agent registered in the test cluster, with a client that carries its token. */
export interface TestAgent {
  view: AgentView;
  token: string;
  client: ClusterClient;
}

/**
 * A real one-node cluster in this process (gRPC on a free port, Raft log in a temp dir) with the
 * embedded S3 server, for tests of the Jobs service: an admin client, and agents registered
 * through the log whose clients call as an agent would.
 */
export class OneNodeCluster {
  private readonly clients: ClusterClient[] = [];
  /** The admin client {@link importBase} calls through, made on first use. */
  private importer: ClusterClient | undefined;

  private constructor(
    readonly node: RunningNode,
    readonly s3: TestS3,
    private readonly dir: string,
  ) {}

  /** `metricsListen`: serve the node's metrics there (`node.metricsListen`); none by default. */
  static async start(options: { leaseMs?: number; leaseCheckMs?: number; metricsListen?: string } = {}): Promise<OneNodeCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'teambooth-jobs-'));
    const s3 = await startTestS3();
    const config = configSchema.parse({
      node: { id: 'n1', listen: '127.0.0.1:0', dataDir: join(dir, 'n1'), raft: { tickMs: 20 }, metricsListen: options.metricsListen },
      s3: { embeddedListen: `127.0.0.1:${s3.s3.port}`, bucket: s3.bucket, deadlineMs: 2_000 },
      jobs: { leaseMs: options.leaseMs ?? 30_000, leaseCheckMs: options.leaseCheckMs ?? 100 },
    });
    const node = await startNode(toNodeConfig(config, TEST_ADMIN_TOKEN), pino({ level: process.env.TEST_NODE_LOG ?? 'silent' }));
    const cluster = new OneNodeCluster(node, s3, dir);
    await cluster.waitForLeader();
    return cluster;
  }

  /** A client with the admin token (the CLI's and the bots' view). */
  admin(): ClusterClient {
    return this.track(new ClusterClient({ servers: [this.node.address], adminToken: TEST_ADMIN_TOKEN, logger: pino({ level: 'silent' }), deadlineMs: 10_000 }));
  }

  /** Imports a model directory (the tiny model's) as the cluster's base version v1. */
  async importBase(modelDir: string): Promise<void> {
    this.importer ??= this.admin();
    await importBaseVersion(modelDir, { api: this.importer, blobs: this.s3.store, logger: pino({ level: 'silent' }), now: Date.now });
  }

  /** Registers an agent (createAgent with its token's hash) and, unless `capabilities` is null, sends its first heartbeat. */
  async agent(name: string, capabilities: Partial<AgentCapabilities> | null = {}): Promise<TestAgent> {
    const registered = await registerAgent(this.admin(), { name, owner: 'owner-1' });
    const token = registered.token;
    let view = registered.result as AgentView;
    const client = this.track(new ClusterClient({ servers: [this.node.address], agentToken: token, logger: pino({ level: 'silent' }), deadlineMs: 10_000 }));
    if (capabilities !== null) {
      const full = { provider: 'cpu', memoryMb: 4096, maxImageSize: 512, canTrain: true, ...capabilities };
      const reply = await client.jobs('AgentHeartbeat', { capabilities: JSON.stringify(full) }, { mode: 'leader', auth: 'agent' });
      view = JSON.parse(reply.agent) as AgentView;
    }
    return { view, token, client };
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.close();
    await this.node.close();
    await this.s3.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  private track(client: ClusterClient): ClusterClient {
    this.clients.push(client);
    return client;
  }

  private async waitForLeader(): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (this.node.node.status().role !== 'leader') {
      if (Date.now() > deadline) throw new Error('the test node did not become leader within 20 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
