import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentCapabilities } from '../cluster/state/types.ts';
import { glyphPhotos } from '../gpu-agent/training/testing/glyph-photos.ts';
import { runCli } from './run-cli.ts';
import { ClusterCliContext, solidPng, startTestCluster, validLora, type FakeAgent, type TestCluster } from './test-cluster.ts';

// One cluster for the file. Tests run in order: the first one runs before any agent is registered.
let cluster: TestCluster;
let cwd = '';
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'teambooth-cli-jobs-'));
  cluster = await startTestCluster();
});
afterAll(async () => {
  await cluster?.close();
  await rm(cwd, { recursive: true, force: true });
});

const CAPABILITIES: AgentCapabilities = { provider: 'cpu', memoryMb: 4096, maxImageSize: 512, canTrain: true };

/** Runs the CLI against the cluster; the returned promise settles when the command ends. */
function cli(args: string[]): { ctx: ClusterCliContext; status: Promise<number> } {
  const ctx = new ClusterCliContext(cwd);
  return { ctx, status: runCli([...args, '--servers', cluster.address], ctx) };
}

describe('teambooth imagine on a cluster without agents', () => {
  it('fails at once, saying that no registered agent can run the job', async () => {
    const { ctx, status } = cli(['imagine', 'a red star', '--seed', '3', '-o', 'none.png']);
    expect(await status).toBe(1);
    expect(ctx.err).toBe(
      'error: no registered agent can run this job: no agent is registered; ask an admin to register one, see `teambooth agents token create`\n',
    );
    await expect(stat(join(cwd, 'none.png'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('teambooth on a cluster with an agent', () => {
  let agent: FakeAgent;
  beforeAll(async () => {
    agent = await cluster.registerAgent('gpu-box', CAPABILITIES);
  });

  it('imagine submits a job, shows its place in the queue and its steps, and writes the PNG the agent uploaded', async () => {
    const { ctx, status } = cli(['imagine', 'a red star', '--seed', '3', '--steps', '4', '-o', 'out.png']);
    await ctx.waitForErr('queued: next in line');
    const { job, outputs } = await agent.claim();
    expect(job).toMatchObject({ kind: 'imagine', requester: 'alice', params: { prompt: 'a red star', seed: 3, steps: 4, count: 1, width: 64, height: 64 } });
    expect(job.idempotencyKey).toMatch(/^[0-9a-f]{32}$/);
    await agent.progress(job.id, 2, 4);
    await ctx.waitForErr('step 2/4');
    const png = await solidPng(64, 64, [200, 20, 20]);
    await agent.upload(outputs['image-0.png']!, png, 'image/png');
    await agent.complete(job.id, ['image-0.png']);

    expect(await status).toBe(0);
    expect((await readFile(join(cwd, 'out.png'))).equals(png)).toBe(true);
    expect(ctx.out).toMatch(new RegExp(`^wrote out\\.png \\(seed 3\\)\\njob ${job.id}: \\d+\\.\\d s on agent ${agent.id} after \\d+\\.\\d s in the queue\\nsame image again: --seed 3\\n$`));
    expect(ctx.err).toContain(`imagine: submitted job ${job.id}\n`);
    expect(ctx.err).toContain(`running by agent ${agent.id} (attempt 1 of 3)\n`);
  });

  it('imagine --json --count 2 prints {jobId, outputs, seed, seeds} and writes both images', async () => {
    const { ctx, status } = cli(['imagine', 'a green square', '--seed', '10', '--count', '2', '--size', '32x48', '--scheduler', 'dpmpp-2m', '-o', 'multi.png', '--json']);
    const { job, outputs } = await agent.claim();
    expect(job.params).toMatchObject({ count: 2, width: 32, height: 48, scheduler: 'dpm' });
    const pngs = await Promise.all([solidPng(32, 48, [0, 200, 0]), solidPng(32, 48, [0, 100, 0])]);
    await agent.upload(outputs['image-0.png']!, pngs[0]!, 'image/png');
    await agent.upload(outputs['image-1.png']!, pngs[1]!, 'image/png');
    await agent.complete(job.id, ['image-0.png', 'image-1.png']);

    expect(await status).toBe(0);
    expect(JSON.parse(ctx.out)).toEqual({ jobId: job.id, outputs: [join(cwd, 'multi-1.png'), join(cwd, 'multi-2.png')], seed: 10, seeds: [10, 11] });
    expect((await readFile(join(cwd, 'multi-2.png'))).equals(pngs[1]!)).toBe(true);
    expect(ctx.err).toBe(''); // --json keeps standard error quiet unless something goes wrong
  });

  it('imagine exits 1 with every reason when the agent fails the job three times, and jobs show lists the failures', async () => {
    const { ctx, status } = cli(['imagine', 'a blue moon', '--seed', '1', '-o', 'failed.png']);
    let jobId = '';
    for (const attempt of [1, 2, 3]) {
      const { job } = await agent.claim();
      jobId = job.id;
      await agent.fail(job.id, `out of memory (try ${attempt})`);
      // The next claim waits until the command has seen this failure, so no update is skipped.
      if (attempt < 3) await ctx.waitForErr(`attempt ${attempt} failed`);
    }
    expect(await status).toBe(1);
    expect(ctx.err).toContain(`attempt 1 failed on agent ${agent.id}: out of memory (try 1)\n`);
    expect(ctx.err).toContain(`attempt 2 failed on agent ${agent.id}: out of memory (try 2)\n`);
    expect(ctx.err).toContain(`imagine: job ${jobId} failed after 3 attempts; nothing was written:\n`);
    for (const attempt of [1, 2, 3]) {
      expect(ctx.err).toMatch(new RegExp(`\\n  \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ  attempt ${attempt}  agent ${agent.id}: out of memory \\(try ${attempt}\\)\\n`));
    }
    await expect(stat(join(cwd, 'failed.png'))).rejects.toMatchObject({ code: 'ENOENT' });

    const show = cli(['jobs', 'show', jobId]);
    expect(await show.status).toBe(0);
    expect(show.ctx.out).toMatch(new RegExp(`^job ${jobId}: imagine for alice, failed \\(attempt 3 of 3\\)\\n`));
    expect(show.ctx.out).toContain('failed attempts:\n');
    expect(show.ctx.out).toContain(`attempt 3  agent ${agent.id}: out of memory (try 3)\n`);
  });

  it('Ctrl-C while the job waits cancels it and exits 130', async () => {
    const { ctx, status } = cli(['imagine', 'a yellow sun', '-o', 'interrupted.png']);
    await ctx.waitForErr('queued:');
    ctx.raise('SIGINT');
    expect(await status).toBe(130);
    const jobId = /submitted job (j-\d+)/.exec(ctx.err)?.[1] ?? '';
    expect(ctx.err).toContain(`imagine: interrupted; cancelled job ${jobId}, nothing was written\n`);

    const show = cli(['jobs', 'show', jobId, '--json']);
    expect(await show.status).toBe(0);
    expect(JSON.parse(show.ctx.out)).toMatchObject({ job: { id: jobId, state: 'cancelled', attempts: 0 }, queue: null });
  });

  it('jobs list, show and cancel a queued job', async () => {
    const submitted = await cluster.admin.jobs(
      'Submit',
      { kind: 'imagine', params: JSON.stringify({ prompt: 'a purple triangle' }), requester: 'bob', idempotencyKey: 'list-show-cancel' },
      { mode: 'leader', auth: 'admin' },
    );
    const jobId = (JSON.parse(submitted.job) as { id: string }).id;

    const list = cli(['jobs', 'list', '--state', 'queued', '--requester', 'bob']);
    expect(await list.status).toBe(0);
    const lines = list.ctx.out.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+KIND\s+STATE\s+REQUESTER\s+ATTEMPTS\s+PROGRESS\s+CREATED\s+REQUEST$/);
    expect(lines.slice(1)).toHaveLength(1);
    expect(lines[1]).toMatch(new RegExp(`^${jobId}\\s+imagine\\s+queued\\s+bob\\s+0\\s+-\\s+\\S+Z\\s+"a purple triangle"$`));

    const all = cli(['jobs', 'list', '--kind', 'imagine', '--limit', '2', '--json']);
    expect(await all.status).toBe(0);
    const listed = (JSON.parse(all.ctx.out) as { jobs: Array<{ id: string }> }).jobs;
    expect(listed).toHaveLength(2);
    expect(listed[1]?.id).toBe(jobId); // the most recent last

    const show = cli(['jobs', 'show', jobId]);
    expect(await show.status).toBe(0);
    expect(show.ctx.out).toMatch(new RegExp(`^job ${jobId}: imagine for bob, queued\\n  params:   \\{"prompt":"a purple triangle",.*\\}\\n  queue:    next in line, about \\d+\\.\\d s\\n  created:  \\S+Z\\n$`));

    const notTheirs = cli(['jobs', 'cancel', jobId, '--requester', 'alice']);
    expect(await notTheirs.status).toBe(1);
    expect(notTheirs.ctx.err).toBe(`error: job ${jobId} was submitted by bob; only they or an admin can cancel it\n`);

    const cancel = cli(['jobs', 'cancel', jobId]);
    expect(await cancel.status).toBe(0);
    expect(cancel.ctx.out).toBe(`Cancelled job ${jobId} (imagine for bob).\n`);
    const again = cli(['jobs', 'cancel', jobId]);
    expect(await again.status).toBe(1);
    expect(again.ctx.err).toBe(`error: job ${jobId} has already been cancelled; there is nothing to cancel\n`);

    const none = cli(['jobs', 'list', '--state', 'queued']);
    expect(await none.status).toBe(0);
    expect(none.ctx.out).toBe('No jobs match.\n');
  });

  it('train uploads the photos, submits only the settings given, follows the loss, and writes the LoRA', async () => {
    const photos = await glyphPhotos(3);
    await mkdir(join(cwd, 'photos'), { recursive: true });
    const paths = photos.map((_, i) => `photos/p${i + 1}.png`);
    await Promise.all(paths.map((path, i) => writeFile(join(cwd, path), photos[i]!.data)));

    const { ctx, status } = cli(['train', ...paths, '--token', 'zxq', '--class', 'glyph', '--steps', '20', '--seed', '5']);
    const { job, inputs, outputs } = await agent.claim();
    expect(job.kind).toBe('train');
    expect(job.params).toEqual({ uploadId: expect.stringMatching(/^u-[0-9a-f]{16}$/), photos: ['p1.png', 'p2.png', 'p3.png'], token: 'zxq', classWord: 'glyph', steps: 20, seed: 5 });
    const stored = new Uint8Array(await (await fetch(inputs['p2.png']!)).arrayBuffer());
    expect(Buffer.from(stored).equals(Buffer.from(photos[1]!.data))).toBe(true);
    await agent.progress(job.id, 20, 20, 0.125);
    await ctx.waitForErr('step 20/20  loss 0.1250');
    const lora = validLora();
    await agent.upload(outputs['lora.safetensors']!, lora, 'application/octet-stream');
    await agent.complete(job.id, ['lora.safetensors']);

    expect(await status).toBe(0);
    expect((await readFile(join(cwd, 'zxq-lora.safetensors'))).equals(Buffer.from(lora))).toBe(true);
    expect(ctx.out).toMatch(new RegExp(`^wrote zxq-lora\\.safetensors \\(job ${job.id}: .* on agent ${agent.id} after .* in the queue\\)\\n`));
    expect(ctx.out).toContain('20 steps, final loss 0.1250, seed 5, prompt: "a photo of zxq glyph"\n');
    expect(ctx.out).toContain('try it here: teambooth imagine "a photo of zxq glyph" --lora zxq-lora.safetensors\n');
    const mergeJobId = (await cluster.admin.query({ type: 'getJob', jobId: job.id }) as { result: { mergeJobId: string } }).result.mergeJobId;
    expect(ctx.out).toContain(`merge job ${mergeJobId} folds it into the shared model; once it succeeds (teambooth jobs show ${mergeJobId}), every imagine job draws "a photo of zxq glyph"\n`);
  });

  it('refuses flags that only work on this machine, before submitting anything', async () => {
    const imagine = cli(['imagine', 'a red star', '--lora', 'x.safetensors', '--device', 'cpu']);
    expect(await imagine.status).toBe(2);
    expect(imagine.ctx.err).toContain('error: --lora, --device work only on this machine: leave them out, or run here without --servers and --cluster\n');
    const train = cli(['train', 'a.png', '--token', 'zxq', '--class', 'glyph', '--flip', '--batch-size', '4']);
    expect(await train.status).toBe(2);
    expect(train.ctx.err).toContain('error: --batch-size, --flip work only on this machine: leave them out, or run here without --servers and --cluster\n');
  });
});
