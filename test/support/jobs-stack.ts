import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { startTestS3, type TestS3 } from '../../cluster/blob-store/test-s3-fixture.ts';
import type { ClusterClient } from '../../cluster/client/cluster-client.ts';
import { registerAgent } from '../../cluster/jobs/agent-token.ts';
import type { AgentView } from '../../cluster/state/types.ts';
import { ProcessCluster } from './process-cluster.ts';
import { TcpProxy } from './tcp-proxy.ts';

/** The `teambooth` executable the process tests run. */
export const TEAMBOOTH_BIN = resolve(import.meta.dirname, '../../bin/teambooth.js');

/** A `teambooth agent` process. */
export interface AgentProcess {
  name: string;
  token: string;
  id: string;
  process: ChildProcess;
  exited: Promise<number | null>;
}

/**
 * What the job and merge process tests share: three `teambooth node` processes, the embedded S3
 * server behind a TCP proxy the test can cut, and an admin client.
 */
export class JobsStack {
  private constructor(
    readonly s3: TestS3,
    readonly s3Proxy: TcpProxy,
    readonly cluster: ProcessCluster,
    readonly admin: ClusterClient,
  ) {}

  static async start(options: { leaseMs: number }): Promise<JobsStack> {
    const s3 = await startTestS3();
    const s3Proxy = await TcpProxy.start({ host: '127.0.0.1', port: s3.s3.port });
    const cluster = await ProcessCluster.start({
      size: 3,
      env: {
        TEAMBOOTH_S3_EMBEDDED_LISTEN: s3Proxy.address,
        TEAMBOOTH_S3_BUCKET: s3.bucket,
        TEAMBOOTH_S3_DEADLINE_MS: '30000',
        TEAMBOOTH_JOBS_LEASE_MS: String(options.leaseMs),
        TEAMBOOTH_JOBS_LEASE_CHECK_MS: '200',
      },
    });
    await cluster.waitForLeader();
    return new JobsStack(s3, s3Proxy, cluster, cluster.client({ deadlineMs: 30_000 }));
  }

  /** host:port of every node, comma-separated, for `--servers`. */
  get servers(): string {
    return this.cluster.nodes.map((n) => n.address).join(',');
  }

  /** Environment for a CLI process that talks to this cluster and its object store as an admin. */
  cliEnv(adminToken: string): NodeJS.ProcessEnv {
    return { ...process.env, TEAMBOOTH_ADMIN_TOKEN: adminToken, TEAMBOOTH_S3_EMBEDDED_LISTEN: this.s3Proxy.address, TEAMBOOTH_S3_BUCKET: this.s3.bucket, TEAMBOOTH_S3_DEADLINE_MS: '30000' };
  }

  /** Registers an agent through the log; returns its id and token. */
  async register(name: string): Promise<{ id: string; token: string }> {
    const { result, token } = await registerAgent(this.admin, { name, owner: 'test' });
    return { id: (result as AgentView).id, token };
  }

  /** Starts `teambooth agent` (its log next to the nodes' logs) and waits for its first heartbeat with capabilities. */
  async startAgent(name: string, registered?: { id: string; token: string }): Promise<AgentProcess> {
    const { id, token } = registered ?? (await this.register(name));
    const log = createWriteStream(join(this.cluster.dir, `agent-${name}.log`), { flags: 'a' });
    const child = spawn(process.execPath, [TEAMBOOTH_BIN, 'agent', '--servers', this.servers, '--cache-dir', join(this.cluster.dir, 'agent-cache'), '--device', 'cpu'], {
      env: { ...process.env, TEAMBOOTH_AGENT_TOKEN: token, TEAMBOOTH_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    const agent: AgentProcess = { name, token, id, process: child, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
    await this.waitUntil(async () => ((await this.admin.query({ type: 'getAgent', agentId: id })) as AgentView).capabilities !== null, `agent ${name} to report its capabilities`);
    return agent;
  }

  async waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; logs in ${this.cluster.dir}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    await this.cluster.close();
    await this.s3Proxy.close();
    await this.s3.close();
  }
}
