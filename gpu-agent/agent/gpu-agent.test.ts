import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../../cluster/client/cluster-client.ts';
import { startMetricsServer } from '../../cluster/metrics/metrics-server.ts';
import { sampleValue, scrape } from '../../cluster/metrics/testing/scrape.ts';
import { CommandRejectedError, UnauthenticatedError } from '../../cluster/raft/errors.ts';
import { createLogger } from '../../config/logger.ts';
import { parseLoraFile } from '../lora/lora-file.ts';
import { ensureTinyModel } from '../tiny-model/ensure-tiny-model.ts';
import { clusterJobsApi } from './agent-jobs-api.ts';
import { AgentMetrics } from './agent-metrics.ts';
import { GpuAgent, type GpuAgentOptions } from './gpu-agent.ts';
import { startFakeJobsServer, type FakeJobsServer, type OfferedJob, type RecordedCall } from './testing/fake-jobs-server.ts';
import { startFakeObjectStore, type FakeObjectStore } from './testing/fake-object-store.ts';
import { testModelHost } from './testing/test-model-host.ts';
import { Prng } from '../random/prng.ts';

const TOKEN = 'tbat_agent-test-token-0123456789abcdefghijklmnop';
const SIGNATURE = 'X-Amz-Signature=0123456789abcdef0123456789abcdef';

let dir = '';
let jobs: FakeJobsServer;
let store: FakeObjectStore;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teambooth-agent-'));
  await ensureTinyModel(join(dir, 'models'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServers(): Promise<void> {
  jobs = await startFakeJobsServer();
  store = await startFakeObjectStore();
  cleanups.push(() => jobs.close(), () => store.close());
}

/** Deterministic randomness for the backoff jitter. */
function seeded(seed: number): () => number {
  return new Prng(seed).asFunction();
}

/** Starts an agent against the fake servers; its log lines (through the redacting logger) are collected. */
function startAgent(overrides: Partial<GpuAgentOptions> = {}) {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (text: string) => void lines.push(text) } });
  const client = new ClusterClient({ servers: [jobs.address], agentToken: TOKEN, logger: pino({ level: 'silent' }), deadlineMs: 2000, random: seeded(3) });
  const stop = new AbortController();
  const agent = new GpuAgent({
    api: clusterJobsApi(client),
    models: testModelHost(dir),
    logger,
    maxJobs: 1,
    canTrain: true,
    memoryMb: 4096,
    workDir: join(dir, 'work'),
    now: () => performance.now(),
    sleep: (ms, signal) => sleep(ms, undefined, { signal }),
    random: seeded(7),
    heartbeatMs: 100,
    claimWaitMs: 200,
    shutdownGraceMs: 1000,
    ...overrides,
  });
  const done = agent.run(stop.signal);
  cleanups.push(async () => {
    stop.abort();
    await done.catch(() => undefined);
    client.close();
  });
  const logs = (): Array<Record<string, unknown>> => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stop, done, lines, logs };
}

function imagineJob(id: string, steps: number): OfferedJob {
  return {
    job: { id, kind: 'imagine', params: { prompt: 'a red star on a blue background', steps, guidanceScale: 7.5, width: 64, height: 64, count: 1, seed: 42 }, attempts: 1 },
    leaseMs: 3000,
    outputs: { 'image-0.png': `${store.url}/results/${id}/image-0.png?${SIGNATURE}` },
  };
}

const called = (method: string) => (calls: readonly RecordedCall[]) => calls.some((call) => call.method === method);

describe('GpuAgent', () => {
  it('heartbeats its capabilities, claims an imagine job, reports progress, uploads the PNG and completes', async () => {
    await startServers();
    jobs.offer(imagineJob('j-1', 2));
    const agent = startAgent();
    await jobs.waitFor(called('Complete'));
    agent.stop.abort();
    await agent.done;

    const [heartbeat] = jobs.calls;
    expect(heartbeat?.method).toBe('AgentHeartbeat');
    expect(JSON.parse(String(heartbeat?.request['capabilities']))).toEqual({ provider: 'cpu', memoryMb: 4096, maxImageSize: 512, canTrain: true });
    expect(jobs.calls.every((call) => call.authorization === `Agent ${TOKEN}`)).toBe(true);
    expect(jobs.callsOf('Claim')[0]).toMatchObject({ waitMs: 200, kinds: ['imagine', 'train'] });
    const progress = jobs.callsOf('Progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((report) => report['jobId'] === 'j-1' && Number.isNaN(report['loss']) && report['refreshUrls'] === false)).toBe(true);

    const uploaded = store.objects.get('/results/j-1/image-0.png');
    expect(uploaded?.contentType).toBe('image/png');
    const { info } = await sharp(uploaded!.body).raw().toBuffer({ resolveWithObject: true });
    expect(info).toMatchObject({ width: 64, height: 64, channels: 3 });
    expect(jobs.callsOf('Complete')).toEqual([{ jobId: 'j-1', outputs: ['image-0.png'] }]);
    expect(jobs.callsOf('Fail')).toEqual([]);

    const ends = agent.logs().filter((line) => line['msg'] === 'job ended');
    expect(ends).toMatchObject([{ jobId: 'j-1', kind: 'imagine', outcome: 'succeeded', step: 2, total: 2 }]);
    expect(agent.logs().filter((line) => line['msg'] === 'job started')).toMatchObject([{ jobId: 'j-1', kind: 'imagine', attempt: 1 }]);
    const text = agent.lines.join('');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(SIGNATURE);
  });

  it('counts its jobs, their durations and the models it holds at /metrics', async () => {
    await startServers();
    const metrics = await startMetricsServer({ listen: '127.0.0.1:0', processMetrics: false });
    cleanups.push(() => metrics.stop());
    const models = testModelHost(dir);
    jobs.offer(imagineJob('j-7', 2));
    const agent = startAgent({ models, observer: new AgentMetrics(metrics.registry, { models }) });
    await jobs.waitFor(called('Complete'));
    const running = await scrape(metrics.url);
    expect(sampleValue(running, 'teambooth_agent_models_loaded')).toBe(1);
    agent.stop.abort();
    await agent.done;

    const text = await scrape(metrics.url);
    expect(sampleValue(text, 'teambooth_agent_jobs_total{kind="imagine",outcome="succeeded"}')).toBe(1);
    expect(sampleValue(text, 'teambooth_agent_job_duration_seconds_count{kind="imagine"}')).toBe(1);
    const [ended] = agent.logs().filter((line) => line['msg'] === 'job ended');
    expect(sampleValue(text, 'teambooth_agent_job_duration_seconds_sum{kind="imagine"}')).toBeCloseTo(Number(ended?.['ms']) / 1000, 2);
    expect(sampleValue(text, 'teambooth_agent_busy')).toBe(0);
  });

  it('stops the work at once when Progress answers FAILED_PRECONDITION, completes nothing and claims again', async () => {
    await startServers();
    jobs.progress = () => {
      throw new CommandRejectedError('job j-2 is not leased to agent a-1 (its lease expired)', 'failed_precondition');
    };
    jobs.offer(imagineJob('j-2', 150));
    const agent = startAgent();
    await jobs.waitFor((calls) => {
      const firstProgress = calls.findIndex((call) => call.method === 'Progress');
      return firstProgress >= 0 && calls.slice(firstProgress).some((call) => call.method === 'Claim');
    });
    agent.stop.abort();
    await agent.done;
    expect(jobs.callsOf('Complete')).toEqual([]);
    expect(jobs.callsOf('Fail')).toEqual([]);
    expect(store.requests).toEqual([]);
    const [ended] = agent.logs().filter((line) => line['msg'] === 'job ended');
    expect(ended).toMatchObject({ jobId: 'j-2', outcome: 'lost', reason: 'the cluster took job j-2 back: job j-2 is not leased to agent a-1 (its lease expired)' });
    expect(Number(ended?.['step'])).toBeLessThan(150);
  });

  it('on stop, gives a running job back with release and exits', async () => {
    await startServers();
    jobs.offer(imagineJob('j-3', 150));
    const agent = startAgent();
    await jobs.waitFor(called('Progress'));
    agent.stop.abort();
    await agent.done;
    expect(jobs.callsOf('Fail')).toEqual([{ jobId: 'j-3', reason: 'the agent is shutting down', final: false, release: true }]);
    expect(jobs.callsOf('Complete')).toEqual([]);
    expect(agent.logs().filter((line) => line['msg'] === 'job ended')).toMatchObject([{ jobId: 'j-3', outcome: 'released' }]);
  });

  it('runs a train job: downloads the photos (asking for fresh URLs after a 403) and uploads the LoRA', async () => {
    await startServers();
    const photos = ['photo-1.png', 'photo-2.png', 'photo-3.png'];
    const fixtures = join(import.meta.dirname, '../../test/fixtures/subjects/smiley');
    for (const name of photos) store.objects.set(`/uploads/${name}`, { body: await readFile(join(fixtures, name)), contentType: 'image/png' });
    store.intercept = (request) => (request.query === 'sig=expired' ? 403 : undefined);
    const urls = (sig: string) => Object.fromEntries(photos.map((name) => [name, `${store.url}/uploads/${name}?sig=${sig}`]));
    const outputs = { 'lora.safetensors': `${store.url}/loras/j-6.safetensors?sig=fresh` };
    jobs.progress = (request) => ({ leaseMs: 3000, ...(request['refreshUrls'] === true ? { inputs: urls('fresh'), outputs } : {}) });
    jobs.offer({
      job: { id: 'j-6', kind: 'train', params: { uploadId: 'u-0123456789abcdef', photos, token: 'zxq', classWord: 'glyph', steps: 3, seed: 9 }, attempts: 2 },
      leaseMs: 3000,
      inputs: { ...urls('fresh'), 'photo-2.png': `${store.url}/uploads/photo-2.png?sig=expired` },
      outputs,
    });
    const agent = startAgent();
    await jobs.waitFor(called('Complete'));
    agent.stop.abort();
    await agent.done;
    expect(jobs.callsOf('Progress').filter((report) => report['refreshUrls'] === true)).toHaveLength(1);
    const lora = store.objects.get('/loras/j-6.safetensors');
    expect(lora?.contentType).toBe('application/octet-stream');
    expect(parseLoraFile(new Uint8Array(lora!.body)).info).toMatchObject({ token: 'zxq', classWord: 'glyph', steps: 3, seed: 9, mergeMethod: 'sum' });
    expect(jobs.callsOf('Complete')).toEqual([{ jobId: 'j-6', outputs: ['lora.safetensors'] }]);
    expect(agent.logs().filter((line) => line['msg'] === 'job ended')).toMatchObject([{ jobId: 'j-6', kind: 'train', outcome: 'succeeded', step: 3, total: 3 }]);
  });

  it('fails a job with bad input for good, with the reason', async () => {
    await startServers();
    jobs.offer({ ...imagineJob('j-4', 2), job: { ...imagineJob('j-4', 2).job, params: { prompt: 'a star', steps: 2, seed: 1, lora: { jobId: 'j-1', scale: 1 } } } });
    const agent = startAgent();
    await jobs.waitFor(called('Fail'));
    expect(jobs.callsOf('Fail')).toEqual([
      { jobId: 'j-4', reason: 'imagine jobs with a LoRA (of job j-1) are not supported by GPU agents yet; submit the job without one', final: true, release: false },
    ]);
    agent.stop.abort();
    await agent.done;
  });

  it('claims nothing while paused (saying why once), resumes when active, and exits with an error when revoked', async () => {
    await startServers();
    jobs.agent = { ...jobs.agent, status: 'paused', pausedReason: '3 failed jobs within an hour' };
    const agent = startAgent();
    await jobs.waitFor((calls) => calls.filter((call) => call.method === 'AgentHeartbeat').length >= 3);
    expect(jobs.callsOf('Claim')).toEqual([]);
    jobs.agent = { ...jobs.agent, status: 'active', pausedReason: null };
    await jobs.waitFor(called('Claim'));
    jobs.agent = { ...jobs.agent, status: 'revoked' };
    await expect(agent.done).rejects.toThrow('agent a-1 ("test-gpu") has been revoked; create a new token with `teambooth agents token create --name NAME`');
    expect(agent.logs().filter((line) => String(line['msg']).includes('is paused: 3 failed jobs within an hour'))).toHaveLength(1);
  });

  it('exits with an error when the cluster refuses the token, without showing it', async () => {
    await startServers();
    jobs.heartbeat = () => {
      throw new UnauthenticatedError('unknown or revoked agent token');
    };
    const agent = startAgent();
    await expect(agent.done).rejects.toThrow("the cluster refused this agent's token (unknown or revoked agent token); check TEAMBOOTH_AGENT_TOKEN");
    expect(agent.lines.join('')).not.toContain(TOKEN);
  });

  it('rides out the loss of its server and takes jobs again once one is back', async () => {
    await startServers();
    const agent = startAgent();
    await jobs.waitFor(called('Claim'));
    const port = Number(jobs.address.split(':')[1]);
    await jobs.close();
    jobs = await startFakeJobsServer(port);
    cleanups.push(() => jobs.close());
    jobs.offer(imagineJob('j-5', 2));
    await jobs.waitFor(called('Complete'));
    expect(jobs.callsOf('Complete')).toEqual([{ jobId: 'j-5', outputs: ['image-0.png'] }]);
    agent.stop.abort();
    await agent.done;
  });
});
