import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import pino, { type Logger } from 'pino';
import { solidPng, startTestCluster, validLora, type FakeAgent, type TestCluster } from '../../../cli/test-cluster.ts';
import type { Job } from '../../../cluster/state/types.ts';
import { ensureTinyModel } from '../../../gpu-agent/tiny-model/ensure-tiny-model.ts';
import { BotCore } from '../bot-core.ts';
import { ClusterClient } from '../../../cluster/client/cluster-client.ts';
import { registerAgent } from '../../../cluster/jobs/agent-token.ts';
import { clusterAgent } from '../../../gpu-agent/agent/cluster-agent.ts';

/** A file an agent uploads for a job. */
export interface AgentOutput {
  name: string;
  bytes: Uint8Array;
  type: string;
}

/** The fixture subject the bot tests train. */
const SUBJECT = resolve(import.meta.dirname, '../../../test/fixtures/subjects/smiley');

/** The file names of the fixture subject's photos, for {@link subjectPhoto}. */
export const SUBJECT_PHOTOS: readonly string[] = ['photo-1.png', 'photo-2.png', 'photo-3.png', 'photo-4.png', 'photo-5.png', 'photo-6.png'];

/**
 * What the bot tests share: a real one-node cluster with its S3 server, a GPU agent the test plays
 * through the agent calls (so every step of a job happens when the test says), and the command
 * core on an admin client of the cluster.
 */
export class BotTestStack {
  readonly #stops: Array<() => Promise<void>> = [];

  private constructor(
    readonly cluster: TestCluster,
    readonly agent: FakeAgent,
    readonly core: BotCore,
    readonly dir: string,
    /** The bots' logger: silent unless TEST_BOT_LOG names a level. */
    readonly logger: Logger,
  ) {}

  static async start(): Promise<BotTestStack> {
    const dir = await mkdtemp(join(tmpdir(), 'teambooth-bot-'));
    const cluster = await startTestCluster();
    const agent = await cluster.registerAgent('gpu', { provider: 'cpu', memoryMb: 4096, maxImageSize: 512, canTrain: true });
    const logger = pino({ level: process.env.TEST_BOT_LOG ?? 'silent' });
    const core = new BotCore({ cluster: cluster.admin, logger, now: Date.now, random: () => 0.5, minEditIntervalMs: 0, imageSide: 64 });
    return new BotTestStack(cluster, agent, core, dir, logger);
  }

  /**
   * A stack for end-to-end tests: the tiny model imported as the base version and a real CPU
   * agent running (see {@link importTinyBase} and {@link startRealAgent}).
   */
  static async startWithRealAgent(): Promise<BotTestStack> {
    const stack = await BotTestStack.start();
    try {
      await stack.importTinyBase();
      await stack.startRealAgent();
    } catch (error) {
      await stack.close();
      throw error;
    }
    return stack;
  }

  /** Plays the agent for the next job: claims it, uploads `outputs(job)`, completes it. */
  async runNextJob(outputs: (job: Job) => Promise<AgentOutput[]>): Promise<Job> {
    const { job, outputs: urls } = await this.agent.claim();
    await this.agent.progress(job.id, 1, 2);
    const files = await outputs(job);
    for (const file of files) await this.agent.upload(urls[file.name]!, file.bytes, file.type);
    await this.agent.complete(job.id, files.map((f) => f.name));
    return job;
  }

  /** Imports the built-in tiny model as the cluster's base version, so trained subjects get merged. */
  async importTinyBase(): Promise<void> {
    await this.cluster.importBase(await ensureTinyModel(join(this.dir, 'models'), { logger: pino({ level: 'silent' }) }));
  }

  /**
   * Starts a real GPU agent in this process (CPU, the tiny model and the versions the cluster
   * merges), registered through the log; it runs until {@link close}.
   */
  async startRealAgent(): Promise<void> {
    const { token } = await registerAgent(this.cluster.admin, { name: 'cpu-agent', owner: 'test' });
    const logger = pino({ level: 'silent' });
    const client = new ClusterClient({ servers: [this.cluster.address], agentToken: token, logger, deadlineMs: 30_000 });
    const agent = clusterAgent({
      client,
      cacheDir: join(this.dir, 'agent-cache'),
      device: 'cpu',
      logger,
      maxJobs: 1,
      canTrain: true,
      memoryMb: 4096,
      now: Date.now,
      sleep: (ms, signal) => delay(ms, undefined, { signal }),
      random: Math.random,
    });
    const stop = new AbortController();
    const running = agent.run(stop.signal).finally(() => client.close());
    this.#stops.push(async () => {
      stop.abort();
      await running.catch(() => {});
    });
  }

  async close(): Promise<void> {
    for (const stop of this.#stops) await stop();
    await this.cluster.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** An imagine job's output: one solid PNG of the job's size. */
export function solidImage(rgb: [number, number, number]): (job: Job) => Promise<AgentOutput[]> {
  return async (job) => [{ name: 'image-0.png', bytes: await solidPng(Number(job.params.width), Number(job.params.height), rgb), type: 'image/png' }];
}

/** A train job's output: a LoRA of the layout the node expects. */
export async function loraOutput(): Promise<AgentOutput[]> {
  return [{ name: 'lora.safetensors', bytes: validLora(), type: 'application/octet-stream' }];
}

/** The fixture subject's photos by file name (photo-1.png ... photo-6.png). */
export async function subjectPhoto(name: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(join(SUBJECT, name)));
}
