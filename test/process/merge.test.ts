import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../cluster/blob-store/model-manifest.ts';
import type { ClusterClient } from '../../cluster/client/cluster-client.ts';
import type { Job, ModelVersion } from '../../cluster/state/types.ts';
import { ensureTinyModel } from '../../gpu-agent/tiny-model/ensure-tiny-model.ts';
import { JobsStack, TEAMBOOTH_BIN, type AgentProcess } from '../support/jobs-stack.ts';
import { TEST_ADMIN_TOKEN } from '../support/process-cluster.ts';

/**
 * Merging on real processes: three `teambooth node`s, the embedded S3 server behind a TCP proxy
 * the test can cut, one `teambooth agent`, and the `teambooth model` commands. A train job that
 * succeeds becomes the next model version, which the next imagine job uses; the leader is killed
 * in the middle of that merge and exactly one version still results; a rollback brings the old
 * images back byte for byte.
 */

const SUBJECT = resolve(import.meta.dirname, '../fixtures/subjects/smiley');
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const asAdmin = { mode: 'leader' as const, auth: 'admin' as const };

let stack: JobsStack;
let admin: ClusterClient;
let agent: AgentProcess | undefined;

beforeAll(async () => {
  stack = await JobsStack.start({ leaseMs: 10_000 });
  admin = stack.admin;
}, 120_000);

afterAll(async () => {
  agent?.process.kill('SIGKILL');
  await agent?.exited;
  await stack?.close();
});

/** Runs the `teambooth` CLI against the cluster; resolves with its exit code and output. */
async function teambooth(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [TEAMBOOTH_BIN, ...args, '--servers', stack.servers], { env: stack.cliEnv(TEST_ADMIN_TOKEN), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return { code, stdout, stderr };
}

async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs = 90_000): Promise<void> {
  await stack.waitUntil(() => condition().catch(() => false), what, timeoutMs);
}

async function submit(kind: string, params: Record<string, unknown>): Promise<Job> {
  const reply = await admin.jobs('Submit', { kind, params: JSON.stringify(params), requester: 'alice', idempotencyKey: randomBytes(8).toString('hex') }, asAdmin);
  return JSON.parse(reply.job) as Job;
}

async function job(id: string): Promise<Job> {
  return (await admin.query({ type: 'getJob', jobId: id })) as Job;
}

async function finished(id: string, timeoutMs = 180_000): Promise<Job> {
  await waitUntil(async () => TERMINAL.has((await job(id)).state), `job ${id} to end`, timeoutMs);
  return job(id);
}

/** Generates one image of the subject's prompt and returns the job and the PNG. */
async function imagine(): Promise<{ job: Job; png: Uint8Array }> {
  const submitted = await submit('imagine', { prompt: 'a photo of vfy glyph', steps: 8, seed: 11 });
  const done = await finished(submitted.id);
  expect(done.state).toBe('succeeded');
  const urls = await admin.jobs('ResultUrls', { jobId: done.id }, asAdmin);
  return { job: done, png: new Uint8Array(await (await fetch(urls.urls['image-0.png']!)).arrayBuffer()) };
}

describe('merging on real processes', { timeout: 600_000 }, () => {
  it('merges a finished fine-tune into the next version through a leader failover; imagine jobs follow it; rollback restores the old images', async () => {
    const tiny = await ensureTinyModel(join(stack.cluster.dir, 'models'), { logger: pino({ level: 'silent' }) });
    const imported = await teambooth(['model', 'import', tiny]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('as v1; it is the current model');
    agent = await stack.startAgent('gpu-m');
    const before = await imagine();
    expect(before.job.modelVersion).toBe('v1');

    // Hold merges so the test can cut S3 before the leader starts this one.
    expect((await teambooth(['model', 'settings', '--method', 'orthogonal', '--pause'])).stdout).toContain('method: orthogonal\nkeep: every subject\nmerges: paused');
    const files = await Promise.all(['photo-1.png', 'photo-2.png', 'photo-3.png', 'photo-4.png'].map(async (name) => ({ name, data: await readFile(join(SUBJECT, name)) })));
    const upload = await admin.jobs('UploadPhotos', { photos: files }, asAdmin);
    const train = await finished((await submit('train', { uploadId: upload.uploadId, photos: upload.names, token: 'vfy', classWord: 'glyph', steps: 150, learningRate: 0.005 })).id);
    expect(train, JSON.stringify(train.errors)).toMatchObject({ state: 'succeeded' });
    expect(train.basis).toEqual({ seed: expect.any(Number), slot: 0 });
    const mergeJobId = train.result?.mergeJobId as string;
    expect((await job(mergeJobId)).state).toBe('queued');

    stack.s3Proxy.block();
    await teambooth(['model', 'settings', '--resume']);
    await waitUntil(async () => (await job(mergeJobId)).state === 'running', 'the merge to start');
    const merging = (await job(mergeJobId)).progress?.phase ?? '';
    const leader = merging.replace('merging on ', '');
    expect(stack.cluster.nodes.map((n) => n.id)).toContain(leader);
    await stack.cluster.kill(leader);
    stack.s3Proxy.heal();
    const merged = await finished(mergeJobId);
    expect(merged).toMatchObject({ state: 'succeeded', modelVersion: 'v2' });
    expect(merged.attempts).toBeGreaterThanOrEqual(2);
    const listed = (await admin.query({ type: 'listModelVersions' })) as { versions: ModelVersion[]; currentVersion: string };
    expect(listed.versions.map((v) => v.id)).toEqual(['v1', 'v2']);
    expect(listed.versions[1]).toMatchObject({ parent: 'v1', subjects: ['vfy'], mergeMethod: 'orthogonal', slots: { vfy: 0 }, mergeJobId });

    // Content addressing: v2 shares every tensor the LoRA does not touch with v1.
    const [v1, v2] = await Promise.all(listed.versions.map((v) => readManifest(stack.s3.store, v.manifestKey)));
    const changed = Object.keys(v2!.tensors).filter((name) => v2!.tensors[name]!.sha256 !== v1!.tensors[name]!.sha256);
    expect(changed.length).toBe(merged.result?.changedTensors);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.length).toBeLessThan(Object.keys(v1!.tensors).length / 2);

    const after = await imagine();
    expect(after.job.modelVersion).toBe('v2');
    expect(Buffer.from(after.png).equals(Buffer.from(before.png))).toBe(false);

    const rolledBack = await teambooth(['model', 'rollback', 'v1']);
    expect(rolledBack.stdout).toContain('The current model is now v1 (was v2)');
    const again = await imagine();
    expect(again.job.modelVersion).toBe('v1');
    expect(Buffer.from(again.png).equals(Buffer.from(before.png))).toBe(true);
    const shown = await teambooth(['model', 'list']);
    expect(shown.stdout).toMatch(/v1 \(current\)/);
    expect(shown.stdout).toMatch(/v2\s+v1\s+orthogonal\s+vfy/);
    stack.cluster.restart(leader);
  });
});
