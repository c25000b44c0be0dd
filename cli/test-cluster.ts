import { randomBytes } from 'node:crypto';
import { expectedLoraLayout } from '../cluster/jobs/result-validation/index.ts';
import { encodePng } from '../gpu-agent/image/png.ts';
import { float32Tensor } from '../gpu-agent/lora/safetensors-format.ts';
import { serializeSafetensors } from '../gpu-agent/lora/serialize-safetensors.ts';
import { defaultTinyModelConfig } from '../gpu-agent/tiny-model/tiny-model-config.ts';
import { buildUnetGraph } from '../gpu-agent/tiny-model/unet-graph.ts';
import { TRAIN_DEFAULTS } from '../gpu-agent/training/dreambooth-request.ts';
import { ClusterClient, type ClusterClientOptions } from '../cluster/client/cluster-client.ts';
import { OneNodeCluster, TEST_ADMIN_TOKEN } from '../cluster/jobs/testing/one-node-cluster.ts';
import type { AgentCapabilities, Job } from '../cluster/state/types.ts';
import type { ClusterClientApi } from './context.ts';
import { FakeCliContext } from './fake-cli-context.ts';

/**
 * Test support for CLI commands against a real cluster: one node started in-process with the
 * embedded S3 server, an admin client, and GPU agents played by the test through the agent calls
 * of the Jobs service, so every step of a job happens exactly when the test says.
 */

export { TEST_ADMIN_TOKEN };

/** A running single-node cluster. */
export interface TestCluster {
  /** host:port of the node, for `--servers`. */
  address: string;
  admin: ClusterClient;
  /** Environment that points a CLI command at the cluster's object store (for `teambooth model`). */
  s3Env: Record<string, string>;
  /** Imports a model directory (the tiny model's) as the cluster's base version v1. */
  importBase(modelDir: string): Promise<void>;
  /** Registers an agent (createAgent) and sends its first heartbeat with `capabilities`. */
  registerAgent(name: string, capabilities: AgentCapabilities): Promise<FakeAgent>;
  close(): Promise<void>;
}

/** A job as Claim hands it to an agent, with its presigned URLs. */
export interface ClaimedJob {
  job: Job;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}

/** Starts a one-node cluster on 127.0.0.1 (a free port) with its own S3 server and data dir, and waits until it leads. */
export async function startTestCluster(): Promise<TestCluster> {
  const cluster = await OneNodeCluster.start();
  return {
    address: cluster.node.address,
    admin: cluster.admin(),
    s3Env: { TEAMBOOTH_S3_EMBEDDED_LISTEN: `127.0.0.1:${cluster.s3.s3.port}`, TEAMBOOTH_S3_BUCKET: cluster.s3.bucket },
    importBase: (modelDir) => cluster.importBase(modelDir),
    async registerAgent(name, capabilities) {
      const agent = await cluster.agent(name, capabilities);
      return new FakeAgent(agent.view.id, agent.client);
    },
    close: () => cluster.close(),
  };
}

/** A GPU agent played by a test: each call is one agent call of the Jobs service. */
export class FakeAgent {
  constructor(
    readonly id: string,
    private readonly client: ClusterClient,
  ) {}

  async heartbeat(capabilities: AgentCapabilities): Promise<void> {
    await this.client.jobs('AgentHeartbeat', { capabilities: JSON.stringify(capabilities) }, { mode: 'leader', auth: 'agent' });
  }

  /** Leases the next job, waiting up to 15 s for one to be submitted. */
  async claim(): Promise<ClaimedJob> {
    const reply = await this.client.jobs('Claim', { waitMs: 15_000, kinds: [] }, { mode: 'leader', auth: 'agent', deadlineMs: 60_000 });
    if (reply.job === '') throw new Error('no job was submitted within 15 s');
    return { job: JSON.parse(reply.job) as Job, inputs: reply.inputs, outputs: reply.outputs };
  }

  async progress(jobId: string, step: number, total: number, loss = Number.NaN): Promise<void> {
    await this.client.jobs('Progress', { jobId, step, total, loss, phase: 'working', refreshUrls: false }, { mode: 'leader', auth: 'agent' });
  }

  /** Uploads an output to its presigned PUT URL, as the real agent does. */
  async upload(url: string, bytes: Uint8Array, contentType: string): Promise<void> {
    const response = await fetch(url, { method: 'PUT', body: bytes, headers: { 'content-type': contentType } });
    if (!response.ok) throw new Error(`upload failed: HTTP ${response.status} ${await response.text()}`);
  }

  async complete(jobId: string, outputs: string[]): Promise<void> {
    await this.client.jobs('Complete', { jobId, outputs }, { mode: 'leader', auth: 'agent' });
  }

  async fail(jobId: string, reason: string): Promise<void> {
    await this.client.jobs('Fail', { jobId, reason, final: false, release: false }, { mode: 'leader', auth: 'agent' });
  }
}

/** A CLI context whose cluster client and randomness are the real ones, and whose stderr can be waited on. */
export class ClusterCliContext extends FakeCliContext {
  private readonly waiters: Array<{ text: string; resolve: () => void }> = [];

  constructor(cwd: string) {
    super(cwd);
    this.env = { TEAMBOOTH_ADMIN_TOKEN: TEST_ADMIN_TOKEN, USER: 'alice' };
    const write = this.stderr.write;
    this.stderr.write = (text: string) => {
      write(text);
      for (const waiter of this.waiters.filter((w) => this.err.includes(w.text))) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    };
  }

  /** Real randomness: the fake's seeded bytes would give every command the same idempotency key, hence the same job. */
  override randomBytes(size: number): Buffer {
    return randomBytes(size);
  }

  override async createClient(options: ClusterClientOptions): Promise<ClusterClientApi> {
    this.clientOptions.push(options);
    return new ClusterClient(options);
  }

  /** Resolves once standard error contains `text`; rejects after `timeoutMs` with what it holds. */
  waitForErr(text: string, timeoutMs = 20_000): Promise<void> {
    if (this.err.includes(text)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`stderr never showed ${JSON.stringify(text)}; it holds:\n${this.err}`)), timeoutMs);
      this.waiters.push({ text, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
}

/** A solid-colour PNG of the given size, as an agent would upload for an imagine job. */
export function solidPng(width: number, height: number, rgb: [number, number, number]): Promise<Buffer> {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
  return encodePng({ width, height, data });
}

/** A LoRA with the layout the node expects of the tiny model at the default rank: zero up and down projections. */
export function validLora(): Uint8Array {
  const rank = TRAIN_DEFAULTS.rank;
  const layout = expectedLoraLayout(buildUnetGraph(defaultTinyModelConfig()).model.graph, { rank });
  const tensors = new Map(
    layout.tensors.map((tensor) => {
      const size = tensor.shape.reduce((a, b) => a * b, 1);
      return [tensor.name, float32Tensor(new Float32Array(size).fill(tensor.role === 'alpha' ? rank : 0), tensor.shape)] as const;
    }),
  );
  return serializeSafetensors(tensors);
}
