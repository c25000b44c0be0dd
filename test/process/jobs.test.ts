import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pino from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../../cluster/client/cluster-client.ts';
import type { TestS3 } from '../../cluster/blob-store/test-s3-fixture.ts';
import { UnauthenticatedError, CommandRejectedError } from '../../cluster/raft/errors.ts';
import type { Job } from '../../cluster/state/types.ts';
import { parseLoraFile } from '../../gpu-agent/lora/lora-file.ts';
import { JobsStack, type AgentProcess } from '../support/jobs-stack.ts';
import type { ProcessCluster } from '../support/process-cluster.ts';
import type { TcpProxy } from '../support/tcp-proxy.ts';

/**
 * The job lifecycle on real processes: three `teambooth node`s, the embedded S3 server (behind a
 * TCP proxy the test can cut), and `teambooth agent`s running the built-in tiny model. Agents
 * are killed, the leader is killed, S3 goes away, an agent uploads garbage and a token is
 * revoked; every job still ends exactly once with a checked result.
 */

const SUBJECT = resolve(import.meta.dirname, '../fixtures/subjects/smiley');
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

let stack: JobsStack;
let s3: TestS3;
let s3Proxy: TcpProxy;
let cluster: ProcessCluster;
let admin: ClusterClient;
const agents: AgentProcess[] = [];
const asAdmin = { mode: 'leader' as const, auth: 'admin' as const };

beforeAll(async () => {
  stack = await JobsStack.start({ leaseMs: 4000 });
  ({ s3, s3Proxy, cluster, admin } = stack);
}, 120_000);

afterAll(async () => {
  for (const agent of agents) agent.process.kill('SIGKILL');
  await Promise.all(agents.map((agent) => agent.exited));
  await stack?.close();
});

async function startAgent(name: string, registered?: { id: string; token: string }): Promise<AgentProcess> {
  const agent = await stack.startAgent(name, registered);
  agents.push(agent);
  return agent;
}

async function submit(kind: string, params: Record<string, unknown>, requester = 'alice'): Promise<Job> {
  const reply = await admin.jobs('Submit', { kind, params: JSON.stringify(params), requester, idempotencyKey: randomBytes(8).toString('hex') }, asAdmin);
  return JSON.parse(reply.job) as Job;
}

/** Follows a job until `until` holds (default: it ended); returns the last record seen. */
async function follow(jobId: string, until: (job: Job) => boolean = (job) => TERMINAL.has(job.state), timeoutMs = 120_000): Promise<Job> {
  let last: Job | undefined;
  for await (const reply of admin.watchJob(jobId, AbortSignal.timeout(timeoutMs))) {
    last = JSON.parse(reply.job) as Job;
    if (until(last)) return last;
  }
  if (last && until(last)) return last;
  throw new Error(`job ${jobId} ended as ${last?.state ?? 'unknown'} without reaching the awaited state: ${JSON.stringify(last?.errors)}`);
}

async function download(jobId: string, name: string): Promise<Uint8Array> {
  const urls = await admin.jobs('ResultUrls', { jobId }, asAdmin);
  const response = await fetch(urls.urls[name]!);
  expect(response.status).toBe(200);
  return new Uint8Array(await response.arrayBuffer());
}

async function photos(): Promise<{ uploadId: string; names: string[] }> {
  const files = await Promise.all(['photo-1.png', 'photo-2.png', 'photo-3.png', 'photo-4.png'].map(async (name) => ({ name, data: await readFile(join(SUBJECT, name)) })));
  return admin.jobs('UploadPhotos', { photos: files }, asAdmin);
}

describe('jobs on real processes', { timeout: 300_000 }, () => {
  it('catches an agent that uploads garbage, then a real agent completes the job', async () => {
    // A rogue agent, played by this test, is the only one registered yet, so it gets the job.
    const rogue = await stack.register('rogue');
    const client = new ClusterClient({ servers: cluster.nodes.map((n) => n.address), agentToken: rogue.token, logger: pino({ level: 'silent' }), deadlineMs: 20_000 });
    const asRogue = { mode: 'leader' as const, auth: 'agent' as const };
    try {
      await client.jobs('AgentHeartbeat', { capabilities: JSON.stringify({ provider: 'cpu', memoryMb: 1024, maxImageSize: 512, canTrain: false }) }, asRogue);
      const job = await submit('imagine', { prompt: 'a small red star on a blue background', steps: 4, seed: 1 });
      const claim = await client.jobs('Claim', { waitMs: 5000, kinds: [] }, { ...asRogue, deadlineMs: 30_000 });
      expect((JSON.parse(claim.job) as Job).id).toBe(job.id);
      const put = await fetch(claim.outputs['image-0.png']!, { method: 'PUT', body: randomBytes(4096), headers: { 'content-type': 'image/png' } });
      expect(put.status).toBe(200);
      await expect(client.jobs('Complete', { jobId: job.id, outputs: ['image-0.png'] }, asRogue)).rejects.toThrow(CommandRejectedError);
      const after = JSON.parse((await admin.jobs('Get', { jobId: job.id }, { mode: 'any', auth: 'none' })).job) as Job;
      expect(after.state).toBe('queued');
      expect(after.errors[0]).toMatchObject({ agentId: rogue.id, message: expect.stringMatching(/^invalid result: output image-0.png: .*not a PNG/) });

      // The rogue stays registered but never claims again; a real agent takes the job.
      await startAgent('gpu-a');
      const done = await follow(job.id);
      expect(done).toMatchObject({ state: 'succeeded', attempts: 2 });
      const png = await download(job.id, 'image-0.png');
      expect(await sharp(png).metadata()).toMatchObject({ format: 'png', width: 64, height: 64 });
    } finally {
      client.close();
    }
  });

  it('runs an imagine and a train job end to end on two agents', async () => {
    await startAgent('gpu-b');
    const upload = await photos();
    const [imagine, train] = await Promise.all([
      submit('imagine', { prompt: 'a large green heart on a white background', steps: 8, count: 2, seed: 7 }),
      submit('train', { uploadId: upload.uploadId, photos: upload.names, token: 'kqz', classWord: 'symbol', steps: 20 }, 'bob'),
    ]);
    const [image, lora] = await Promise.all([follow(imagine.id), follow(train.id)]);
    expect(image.state).toBe('succeeded');
    expect(lora.state).toBe('succeeded');
    for (const name of ['image-0.png', 'image-1.png']) expect(await sharp(await download(imagine.id, name)).metadata()).toMatchObject({ width: 64, height: 64 });
    const file = parseLoraFile(await download(train.id, 'lora.safetensors'));
    expect(file.info?.token).toBe('kqz');
  });

  it('finishes a job on another agent when the agent running it is killed', async () => {
    const upload = await photos();
    const job = await submit('train', { uploadId: upload.uploadId, photos: upload.names, token: 'zxq', classWord: 'shape', steps: 300 });
    const running = await follow(job.id, (j) => j.state === 'running' && (j.progress?.step ?? 0) > 0);
    const victim = agents.find((agent) => agent.id === running.leaseHolder)!;
    victim.process.kill('SIGKILL');
    await victim.exited;
    const done = await follow(job.id);
    expect(done).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(done.errors).toEqual([expect.objectContaining({ agentId: victim.id, message: expect.stringMatching(/lease expired/) })]);
    agents.splice(agents.indexOf(victim), 1);
    await startAgent(`${victim.name}-again`);
  });

  it('loses no job and completes none twice when the leader is killed while jobs run', async () => {
    const jobs = await Promise.all([0, 1, 2, 3].map((i) => submit('imagine', { prompt: `a medium blue circle on a yellow background`, steps: 20, seed: 100 + i }, `user-${i}`)));
    await follow(jobs[0]!.id, (j) => j.state !== 'queued');
    const leader = await cluster.waitForLeader();
    await cluster.kill(leader);
    const ended = await Promise.all(jobs.map((job) => follow(job.id)));
    for (const job of ended) {
      expect(job.state).toBe('succeeded');
      expect(job.result?.outputs).toHaveLength(1);
    }
    expect(new Set(ended.map((job) => job.id)).size).toBe(4);
    // One result object per job: nothing was written twice under another name.
    for (const job of ended) expect((await s3.store.list(`results/${job.id}/`)).map((b) => b.key)).toEqual([`results/${job.id}/image-0.png`]);
    cluster.restart(leader);
    await cluster.waitForLeader();
  });

  it('retries transfers while S3 is unreachable, without failing the attempt', async () => {
    s3Proxy.block();
    const job = await submit('imagine', { prompt: 'a tiny white cross on a black background', steps: 4, seed: 5 });
    await follow(job.id, (j) => j.state === 'running' || TERMINAL.has(j.state));
    await new Promise((r) => setTimeout(r, 3000));
    s3Proxy.heal();
    const done = await follow(job.id);
    expect(done).toMatchObject({ state: 'succeeded', attempts: 1, errors: [] });
  });

  it('refuses a revoked agent at once, and the agent stops', async () => {
    const agent = agents.find((a) => a.process.exitCode === null)!;
    await admin.propose({ type: 'revokeAgent', agentId: agent.id });
    const client = new ClusterClient({ servers: cluster.nodes.map((n) => n.address), agentToken: agent.token, logger: pino({ level: 'silent' }), deadlineMs: 10_000 });
    try {
      await expect(client.jobs('Claim', { waitMs: 0, kinds: [] }, { mode: 'leader', auth: 'agent' })).rejects.toThrow(UnauthenticatedError);
    } finally {
      client.close();
    }
    expect(await agent.exited).toBe(1);
  });
});
