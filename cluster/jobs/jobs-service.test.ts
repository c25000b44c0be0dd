import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../../gpu-agent/image/rgb-image.ts';
import { encodePng } from '../../gpu-agent/image/png.ts';
import { findLoraTargets } from '../../gpu-agent/lora/find-lora-targets.ts';
import { serializeLoraFile } from '../../gpu-agent/lora/lora-file.ts';
import { initLoraWeights } from '../../gpu-agent/lora/lora-weights.ts';
import { defaultTinyModelConfig } from '../../gpu-agent/tiny-model/tiny-model-config.ts';
import { buildUnetGraph } from '../../gpu-agent/tiny-model/unet-graph.ts';
import { CommandRejectedError, UnauthenticatedError } from '../raft/errors.ts';
import type { AgentView, Job } from '../state/types.ts';
import type { ClusterClient } from '../client/cluster-client.ts';
import { OneNodeCluster, type TestAgent } from './testing/one-node-cluster.ts';

/** An image of one colour. */
function solidImage(width: number, height: number, rgb: readonly [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = rgb[i % 3]!;
  return { width, height, data };
}

const SUBJECT = resolve(import.meta.dirname, '../../test/fixtures/subjects/smiley');

let cluster: OneNodeCluster;
let admin: ClusterClient;
let agent: TestAgent;

beforeAll(async () => {
  cluster = await OneNodeCluster.start();
  admin = cluster.admin();
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

const asAgent = () => ({ mode: 'leader' as const, auth: 'agent' as const, signal: AbortSignal.timeout(20_000) });
const asAdmin = { mode: 'leader' as const, auth: 'admin' as const };

async function submit(kind: string, params: Record<string, unknown>, requester = 'alice'): Promise<{ job: Job; queue: Record<string, unknown> | null }> {
  const reply = await admin.jobs('Submit', { kind, params: JSON.stringify(params), requester, idempotencyKey: '' }, asAdmin);
  return { job: JSON.parse(reply.job) as Job, queue: reply.queue === '' ? null : (JSON.parse(reply.queue) as Record<string, unknown>) };
}

async function claim(who: TestAgent) {
  const reply = await who.client.jobs('Claim', { waitMs: 2000, kinds: [] }, { ...asAgent(), deadlineMs: 15_000 });
  return { job: reply.job === '' ? null : (JSON.parse(reply.job) as Job), leaseMs: reply.leaseMs, inputs: reply.inputs, outputs: reply.outputs };
}

async function put(url: string, body: Uint8Array, contentType: string): Promise<void> {
  const response = await fetch(url, { method: 'PUT', body, headers: { 'content-type': contentType } });
  expect(response.status).toBe(200);
}

async function job(id: string): Promise<Job> {
  return JSON.parse((await admin.jobs('Get', { jobId: id }, { mode: 'any', auth: 'none' })).job) as Job;
}

async function refusal(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to be refused');
}

describe('Jobs service', () => {
  it('refuses at once a job that no registered agent can run', async () => {
    const error = await refusal(submit('imagine', { prompt: 'a red star' }));
    expect(error).toBeInstanceOf(CommandRejectedError);
    expect(error.message).toMatch(/no registered agent can run this job: no agent is registered/);
  });

  it('runs an imagine job from submission to downloadable result, watched as it goes', async () => {
    agent = await cluster.agent('gpu-a');
    expect(agent.view.capabilities).toMatchObject({ provider: 'cpu', canTrain: true });
    const { job: submitted, queue } = await submit('imagine', { prompt: 'a red star on a blue background', seed: 3 });
    expect(submitted).toMatchObject({ state: 'queued', params: { prompt: 'a red star on a blue background', seed: 3, width: 64, height: 64, count: 1, steps: 20 } });
    expect(queue).toMatchObject({ position: 1, ahead: 0, capableAgents: 1 });

    const seen: Job[] = [];
    const watching = (async () => {
      for await (const reply of admin.watchJob(submitted.id, AbortSignal.timeout(20_000))) seen.push(JSON.parse(reply.job) as Job);
    })();

    const claimed = await claim(agent);
    expect(claimed.job).toMatchObject({ id: submitted.id, state: 'leased', leaseHolder: agent.view.id, attempts: 1 });
    expect(Object.keys(claimed.outputs)).toEqual(['image-0.png']);
    expect(claimed.outputs['image-0.png']).toContain('X-Amz-Signature=');
    await agent.client.jobs('Progress', { jobId: submitted.id, step: 10, total: 20, loss: Number.NaN, phase: 'denoise', refreshUrls: false }, asAgent());

    const png = await encodePng(solidImage(64, 64, [20, 40, 200]));
    await put(claimed.outputs['image-0.png']!, png, 'image/png');
    const done = JSON.parse((await agent.client.jobs('Complete', { jobId: submitted.id, outputs: ['image-0.png'] }, asAgent())).job) as Job;
    expect(done).toMatchObject({ state: 'succeeded', result: { outputs: [{ name: 'image-0.png', key: `results/${submitted.id}/image-0.png`, bytes: png.byteLength }] } });

    const urls = await admin.jobs('ResultUrls', { jobId: submitted.id }, asAdmin);
    const downloaded = new Uint8Array(await (await fetch(urls.urls['image-0.png']!)).arrayBuffer());
    expect(Buffer.compare(downloaded, png)).toBe(0);

    await watching;
    expect(seen[0]?.state).toBe('queued');
    expect(seen.some((s) => s.state === 'running' && s.progress?.step === 10 && s.progress.total === 20)).toBe(true);
    expect(seen.at(-1)?.state).toBe('succeeded');
  });

  it('refuses an upload that is not the asked image, re-queues the job and counts it against the agent', async () => {
    const { job: submitted } = await submit('imagine', { prompt: 'a green ring', width: 64, height: 64 });
    const claimed = await claim(agent);
    await put(claimed.outputs['image-0.png']!, await encodePng(solidImage(32, 32, [0, 0, 0])), 'image/png');
    const error = await refusal(agent.client.jobs('Complete', { jobId: submitted.id, outputs: ['image-0.png'] }, asAgent()));
    expect(error).toBeInstanceOf(CommandRejectedError);
    expect(error.message).toMatch(new RegExp(`the result of job ${submitted.id} was refused \\(output image-0.png: .*32x32.*\\); the job goes to another agent`));
    const after = await job(submitted.id);
    expect(after).toMatchObject({ state: 'queued', attempts: 1 });
    expect(after.errors[0]?.message).toMatch(/^invalid result: output image-0.png/);
    const view = JSON.parse((await agent.client.jobs('AgentHeartbeat', { capabilities: JSON.stringify(agent.view.capabilities) }, asAgent())).agent) as AgentView & { recentFailures: number[] };
    expect(view.recentFailures).toHaveLength(1);

    // A completion that names nothing is refused the same way; a release gives the job back unharmed.
    const again = await claim(agent);
    expect(again.job?.id).toBe(submitted.id);
    const released = JSON.parse((await agent.client.jobs('Fail', { jobId: submitted.id, reason: 'shutting down', final: false, release: true }, asAgent())).job) as Job;
    expect(released).toMatchObject({ state: 'queued', attempts: 1 });
    await admin.jobs('Cancel', { jobId: submitted.id, requester: '' }, asAdmin);
  });

  it('takes a train job from checked photos to a validated LoRA', async () => {
    const photos = await Promise.all(['photo-1.png', 'photo-2.png', 'photo-3.png'].map(async (name) => ({ name, data: await readFile(join(SUBJECT, name)) })));
    const bad = await refusal(admin.jobs('UploadPhotos', { photos: [...photos, { name: 'notes.txt', data: Buffer.from('not a photo') }] }, asAdmin));
    expect(bad.message).toMatch(/notes\.txt/);
    const upload = await admin.jobs('UploadPhotos', { photos }, asAdmin);
    expect(upload.uploadId).toMatch(/^u-[0-9a-f]{16}$/);
    expect(upload.names).toEqual(['photo-1.png', 'photo-2.png', 'photo-3.png']);

    const { job: submitted } = await submit('train', { uploadId: upload.uploadId, photos: upload.names, token: 'kqz', classWord: 'symbol', rank: 2 });
    const claimed = await claim(agent);
    expect(claimed.job?.id).toBe(submitted.id);
    expect(Object.keys(claimed.inputs)).toEqual(upload.names);
    const photo = new Uint8Array(await (await fetch(claimed.inputs['photo-2.png']!)).arrayBuffer());
    expect(Buffer.compare(photo, photos[1]!.data)).toBe(0);

    const targets = findLoraTargets(buildUnetGraph(defaultTinyModelConfig()).model.graph);
    const info = { token: 'kqz', classWord: 'symbol', baseModelHash: '0'.repeat(64), steps: 1, finalLoss: 0.1, seed: 1, learningRate: 1e-3, mergeMethod: 'sum' as const };
    // Rank 4 where the job asked for rank 2: refused.
    await put(claimed.outputs['lora.safetensors']!, serializeLoraFile(initLoraWeights(targets, { rank: 4, seed: 1 }), info), 'application/octet-stream');
    const wrong = await refusal(agent.client.jobs('Complete', { jobId: submitted.id, outputs: ['lora.safetensors'] }, asAgent()));
    expect(wrong.message).toMatch(/was refused \(output lora\.safetensors: .*shape/);

    const retry = await claim(agent);
    expect(retry.job).toMatchObject({ id: submitted.id, attempts: 2 });
    await put(retry.outputs['lora.safetensors']!, serializeLoraFile(initLoraWeights(targets, { rank: 2, seed: 1 }), info), 'application/octet-stream');
    const done = JSON.parse((await agent.client.jobs('Complete', { jobId: submitted.id, outputs: ['lora.safetensors'] }, asAgent())).job) as Job;
    expect(done).toMatchObject({ state: 'succeeded', result: { outputs: [{ name: 'lora.safetensors', key: `loras/kqz/${submitted.id}.safetensors` }] } });
  });

  it('refuses a revoked agent token at once', async () => {
    const doomed = await cluster.agent('gpu-doomed');
    await admin.propose({ type: 'revokeAgent', agentId: doomed.view.id });
    const error = await refusal(doomed.client.jobs('Claim', { waitMs: 0, kinds: [] }, asAgent()));
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect(error.message).toMatch(/this agent token is not registered or was revoked/);
  });
});

describe('leases', () => {
  let short: OneNodeCluster;
  beforeAll(async () => {
    short = await OneNodeCluster.start({ leaseMs: 1000, leaseCheckMs: 50 });
  }, 60_000);
  afterAll(async () => {
    await short?.close();
  });

  it('re-queue a job whose agent went silent, and ignore that agent when it reports late', async () => {
    const silent = await short.agent('gpu-silent');
    const other = await short.agent('gpu-other');
    const shortAdmin = short.admin();
    const reply = await shortAdmin.jobs('Submit', { kind: 'imagine', params: JSON.stringify({ prompt: 'a star' }), requester: 'bob', idempotencyKey: 'k1' }, asAdmin);
    const id = (JSON.parse(reply.job) as Job).id;
    const first = await claim(silent);
    expect(first.job?.id).toBe(id);
    // The other agent's claim waits until the leader expires the silent agent's lease.
    const second = await claim(other);
    expect(second.job).toMatchObject({ id, attempts: 2, leaseHolder: other.view.id });
    const late = await refusal(silent.client.jobs('Progress', { jobId: id, step: 1, total: 2, loss: Number.NaN, phase: '', refreshUrls: false }, asAgent()));
    expect(late).toBeInstanceOf(CommandRejectedError);
    expect(late.message).toMatch(new RegExp(`job ${id} is leased to ${other.view.id}, not ${silent.view.id}`));
    const errors = (JSON.parse((await shortAdmin.jobs('Get', { jobId: id }, { mode: 'any', auth: 'none' })).job) as Job).errors;
    expect(errors[0]?.message).toMatch(/lease expired/);
  });
});
