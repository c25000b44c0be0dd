import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLoraTargets, type LoraTarget } from '../../gpu-agent/lora/find-lora-targets.ts';
import { serializeLoraFile } from '../../gpu-agent/lora/lora-file.ts';
import type { LoraLayer } from '../../gpu-agent/lora/lora-weights.ts';
import { addLoraDelta } from '../../gpu-agent/lora/merge-lora.ts';
import { readModel } from '../../gpu-agent/onnx/read-model.ts';
import { ensureTinyModel } from '../../gpu-agent/tiny-model/ensure-tiny-model.ts';
import { TINY_TRAIN_DEFAULTS } from '../../gpu-agent/tiny-model/write-tiny-model.ts';
import { glyphPhotos } from '../../gpu-agent/training/testing/glyph-photos.ts';
import { ContentStore } from '../blob-store/content-store.ts';
import { readManifest, type ModelManifest } from '../blob-store/model-manifest.ts';
import type { ClusterClient } from '../client/cluster-client.ts';
import { OneNodeCluster, type TestAgent } from '../jobs/testing/one-node-cluster.ts';
import { sampleValue, scrape } from '../metrics/testing/scrape.ts';
import type { Job, ModelVersion, Subject } from '../state/types.ts';
import { fillDeterministic } from './testing/synthetic-linear-model.ts';
import { weightEntryName } from './model-entry-names.ts';

/**
 * The leader's merge runner on a real node with the embedded S3 server: train jobs completed by a
 * test-played agent with LoRAs the test writes, merged by the node on its own.
 */

const asAdmin = { mode: 'leader' as const, auth: 'admin' as const };
const logger = pino({ level: 'silent' });
let cluster: OneNodeCluster;
let admin: ClusterClient;
let agent: TestAgent;
let targets: LoraTarget[];
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teambooth-merge-runner-'));
  cluster = await OneNodeCluster.start({ metricsListen: '127.0.0.1:0' });
  admin = cluster.admin();
  const tiny = await ensureTinyModel(join(dir, 'models'), { logger });
  targets = findLoraTargets((await readModel(join(tiny, 'unet', 'model.onnx'))).graph);
  await cluster.importBase(tiny);
  agent = await cluster.agent('trainer');
}, 120_000);

afterAll(async () => {
  await cluster?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A LoRA in the layout training produces for the tiny model, with seeded values. */
function lora(seed: number): LoraLayer[] {
  const rank = TINY_TRAIN_DEFAULTS.rank;
  return targets.map((t, i) => ({
    key: t.key,
    rank,
    alpha: rank,
    inFeatures: t.inFeatures,
    outFeatures: t.outFeatures,
    down: fillDeterministic(new Float32Array(rank * t.inFeatures), seed * 1000 + i, 0.3),
    up: fillDeterministic(new Float32Array(t.outFeatures * rank), seed * 1000 + 500 + i, 0.05),
  }));
}

async function job(id: string): Promise<Job> {
  return (await admin.query({ type: 'getJob', jobId: id })) as Job;
}

async function ended(id: string): Promise<Job> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = await job(id);
    if (found.state === 'succeeded' || found.state === 'failed' || found.state === 'cancelled') return found;
    if (Date.now() > deadline) throw new Error(`job ${id} is still ${found.state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs a train job for `token` as the agent, uploading `layers` as its LoRA; returns its merge job's id. */
async function train(token: string, layers: LoraLayer[]): Promise<string> {
  const upload = await admin.jobs('UploadPhotos', { photos: (await glyphPhotos(3)).map((p) => ({ name: p.name, data: p.data })) }, asAdmin);
  const submitted = await admin.jobs('Submit', { kind: 'train', params: JSON.stringify({ uploadId: upload.uploadId, photos: upload.names, token, classWord: 'glyph' }), requester: 'alice', idempotencyKey: '' }, asAdmin);
  const claim = await agent.client.jobs('Claim', { waitMs: 5_000, kinds: [] }, { mode: 'leader', auth: 'agent', deadlineMs: 30_000 });
  const jobId = (JSON.parse(claim.job) as Job).id;
  expect(jobId).toBe((JSON.parse(submitted.job) as Job).id);
  const put = await fetch(claim.outputs['lora.safetensors']!, { method: 'PUT', body: serializeLoraFile({ layers }), headers: { 'content-type': 'application/octet-stream' } });
  expect(put.status).toBe(200);
  const done = JSON.parse((await agent.client.jobs('Complete', { jobId, outputs: ['lora.safetensors'] }, { mode: 'leader', auth: 'agent' })).job) as Job;
  return done.result?.mergeJobId as string;
}

async function versions(): Promise<ModelVersion[]> {
  return ((await admin.query({ type: 'listModelVersions' })) as { versions: ModelVersion[] }).versions;
}

async function manifestOf(version: ModelVersion): Promise<ModelManifest> {
  return readManifest(cluster.s3.store, version.manifestKey);
}

/** A weight of a manifest as float32 values. */
async function weight(manifest: ModelManifest, target: LoraTarget): Promise<Float32Array> {
  const bytes = await new ContentStore({ blobs: cluster.s3.store, logger }).getVerified(manifest.tensors[weightEntryName('unet', target.weightName)]!.sha256);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

describe('the merge runner', () => {
  it('folds each succeeded train job into the next version, whose weights are the base plus every delta', async () => {
    const a = lora(1);
    const b = lora(2);
    const mergeA = await train('aaq', a);
    expect(await ended(mergeA)).toMatchObject({ state: 'succeeded', modelVersion: 'v2', attempts: 1 });
    // A LoRA trained on v1 still merges onto v2: its delta adds to what is there.
    expect(await ended(await train('bbq', b))).toMatchObject({ state: 'succeeded', modelVersion: 'v3' });
    const [v1, v2, v3] = await Promise.all((await versions()).map(manifestOf));
    expect(v3!.subjects).toEqual(['aaq', 'bbq']);
    for (const [i, target] of [0, Math.floor(targets.length / 2), targets.length - 1].map((n) => [n, targets[n]!] as const)) {
      const expected = Float32Array.from(await weight(v1!, target));
      addLoraDelta(expected, target.layout, a[i]!);
      addLoraDelta(expected, target.layout, b[i]!);
      expect(await weight(v3!, target)).toEqual(expected);
    }
    // Content addressing: tensors no LoRA touches keep their hashes.
    const untouched = Object.keys(v1!.tensors).filter((name) => !targets.some((t) => weightEntryName('unet', t.weightName) === name));
    for (const name of untouched) expect(v3!.tensors[name]!.sha256, name).toBe(v1!.tensors[name]!.sha256);
    expect(Object.keys(v2!.tensors).length).toBe(Object.keys(v1!.tensors).length);
  });

  it('keeps only the newest subjects when asked: the rebuild starts again from the base and retires the oldest', async () => {
    await admin.propose({ type: 'setMergeSettings', keepLastSubjects: 2 });
    const c = lora(3);
    expect(await ended(await train('ccq', c))).toMatchObject({ modelVersion: 'v4' });
    const rebuild = ((await admin.query({ type: 'listJobs', kind: 'merge' })) as { jobs: Job[] }).jobs.at(-1)!;
    expect(rebuild.params).toEqual({ operation: 'rebuild', keepLast: 2 });
    expect(await ended(rebuild.id)).toMatchObject({ state: 'succeeded', modelVersion: 'v5' });
    const all = await versions();
    expect(all.at(-1)).toMatchObject({ id: 'v5', parent: 'v4', subjects: ['bbq', 'ccq'] });
    const [v1, , , v4, v5] = await Promise.all(all.map(manifestOf));
    const b = lora(2);
    const target = targets[0]!;
    const expected = Float32Array.from(await weight(v1!, target));
    addLoraDelta(expected, target.layout, b[0]!);
    addLoraDelta(expected, target.layout, c[0]!);
    expect(await weight(v5!, target)).toEqual(expected);
    expect(await weight(v5!, target)).not.toEqual(await weight(v4!, target));
    expect(await admin.query({ type: 'getSubject', token: 'aaq' })).toMatchObject({ status: 'retired', slot: null });
    await admin.propose({ type: 'setMergeSettings', keepLastSubjects: null });
  });

  it('fails the merge, and the subject, when its LoRA is gone from the store', async () => {
    await admin.propose({ type: 'setMergeSettings', paused: true });
    const mergeId = await train('ddq', lora(4));
    const params = (await job(mergeId)).params as { loraKey: string };
    await cluster.s3.store.delete(params.loraKey);
    await admin.propose({ type: 'setMergeSettings', paused: false });
    const failed = await ended(mergeId);
    expect(failed.state).toBe('failed');
    expect(failed.errors[0]?.message).toMatch(/^merge failed: .*loras\/ddq\//);
    expect(((await admin.query({ type: 'getSubject', token: 'ddq' })) as Subject).status).toBe('failed');
    expect((await versions()).length).toBe(5);
  });

  it("reports each merge attempt and each ended job in the node's metrics", async () => {
    const text = await scrape(cluster.node.metricsUrl!);
    expect(sampleValue(text, 'teambooth_merge_duration_seconds_count{outcome="committed"}')).toBe(4);
    expect(sampleValue(text, 'teambooth_merge_duration_seconds_count{outcome="failed"}')).toBe(1);
    expect(sampleValue(text, 'teambooth_job_latency_seconds_count{kind="train",outcome="succeeded"}')).toBe(4);
    expect(sampleValue(text, 'teambooth_job_latency_seconds_count{kind="merge",outcome="succeeded"}')).toBe(4);
    expect(sampleValue(text, 'teambooth_job_latency_seconds_count{kind="merge",outcome="failed"}')).toBe(1);
  });
});
