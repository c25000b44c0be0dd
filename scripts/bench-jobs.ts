/**
 * `npm run bench:jobs [-- --agents 1000 --jobs 10000 --requesters 500 --concurrency 64 --e2e-jobs 15]`:
 * the job path of a 3-node cluster of real `teambooth node` processes with the embedded S3 server.
 *
 * 1. Dispatch: `--agents` simulated agents (each with its own token and gRPC client) drain
 *    `--jobs` queued imagine jobs from `--requesters` members, taking turns with `--concurrency`
 *    cycles in flight: Claim (lease + presigned URL), PUT a 64x64 PNG, Complete (the node reads
 *    and checks it, then commits). Prints jobs
 *    dispatched per second and the Claim latency. Baseline in the same run: plain Raft writes
 *    (`put`) per second at the same concurrency; a job costs at least two writes (lease and
 *    completion), so the ratio's ceiling is about 0.5.
 * 2. End-to-end overhead: one real `teambooth agent` process; each imagine job is timed from
 *    Submit to its PNG downloaded, minus the model's own compute for the same request measured
 *    in this process (median of the same number of runs). Goal: under 50 ms at the median.
 */
import { spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ClusterClient } from '../cluster/client/cluster-client.ts';
import { startTestS3 } from '../cluster/blob-store/test-s3-fixture.ts';
import { registerAgent } from '../cluster/jobs/agent-token.ts';
import type { AgentView, Job } from '../cluster/state/types.ts';
import { encodePng } from '../gpu-agent/image/png.ts';
import { loadStableDiffusionModel } from '../gpu-agent/pipeline/model-directory.ts';
import { generate } from '../gpu-agent/pipeline/text-to-image.ts';
import { ensureTinyModel } from '../gpu-agent/tiny-model/index.ts';
import { ProcessCluster } from '../test/support/process-cluster.ts';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '1000' },
    jobs: { type: 'string', default: '10000' },
    requesters: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '64' },
    'e2e-jobs': { type: 'string', default: '15' },
    steps: { type: 'string', default: '20' },
  },
});
const AGENTS = Number(values.agents);
const JOBS = Number(values.jobs);
const REQUESTERS = Number(values.requesters);
const CONCURRENCY = Number(values.concurrency);
const E2E_JOBS = Number(values['e2e-jobs']);
const STEPS = Number(values.steps);
const BIN = resolve(import.meta.dirname, '../bin/teambooth.js');
const silent = pino({ level: 'silent' });
const asAdmin = { mode: 'leader' as const, auth: 'admin' as const };
const asAgent = { mode: 'leader' as const, auth: 'agent' as const };

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Runs `work(i)` for i in [0, count) with at most `limit` in flight. */
async function pool(count: number, limit: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

const s3 = await startTestS3();
const cluster = await ProcessCluster.start({
  size: 3,
  direct: true,
  // Simulated agents report no progress, so their leases must outlast the whole drain.
  env: { TEAMBOOTH_S3_EMBEDDED_LISTEN: `127.0.0.1:${s3.s3.port}`, TEAMBOOTH_S3_BUCKET: s3.bucket, TEAMBOOTH_LOG_LEVEL: 'warn', TEAMBOOTH_JOBS_LEASE_MS: '3600000' },
});
const servers = cluster.nodes.map((n) => n.address);
const agentClients: ClusterClient[] = [];
let agentProcess: ReturnType<typeof spawn> | undefined;
try {
  await cluster.waitForLeader();
  const admin = cluster.client({ deadlineMs: 60_000 });

  // Baseline: plain writes at the same concurrency.
  const baselineWrites = 3000;
  let started = performance.now();
  await pool(baselineWrites, CONCURRENCY, async (i) => {
    await admin.propose({ type: 'put', key: `bench-${i}`, value: i });
  });
  const writesPerSecond = baselineWrites / ((performance.now() - started) / 1000);

  // Agents: registered through the log, each reporting capabilities with its own token.
  const agents: { id: string; client: ClusterClient }[] = [];
  await pool(AGENTS, CONCURRENCY, async (i) => {
    const { result, token } = await registerAgent(admin, { name: `sim-${i}`, owner: 'bench' });
    const view = result as AgentView;
    const client = new ClusterClient({ servers, agentToken: token, logger: silent, deadlineMs: 60_000 });
    agentClients.push(client);
    await client.jobs('AgentHeartbeat', { capabilities: JSON.stringify({ provider: 'cpu', memoryMb: 1024, maxImageSize: 512, canTrain: false }) }, asAgent);
    agents.push({ id: view.id, client });
  });

  // The queue: JOBS imagine jobs, REQUESTERS members.
  started = performance.now();
  await pool(JOBS, CONCURRENCY, async (i) => {
    await admin.jobs('Submit', { kind: 'imagine', params: JSON.stringify({ prompt: `job ${i}`, seed: i }), requester: `member-${i % REQUESTERS}`, idempotencyKey: '' }, asAdmin);
  });
  const submitSeconds = (performance.now() - started) / 1000;

  // Dispatch: the agents take turns (CONCURRENCY cycles in flight, so this one process can also
  // carry their uploads): Claim, PUT the PNG, Complete, until the queue is empty.
  const png = await encodePng({ width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(128) });
  const claimMs: number[] = [];
  let dispatched = 0;
  let nextAgent = 0;
  let drained = false;
  started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (!drained) {
        const { client } = agents[nextAgent++ % agents.length]!;
        const t0 = performance.now();
        const claim = await client.jobs('Claim', { waitMs: 0, kinds: [] }, asAgent);
        claimMs.push(performance.now() - t0);
        if (claim.job === '') {
          drained = true;
          return;
        }
        const job = JSON.parse(claim.job) as Job;
        const put = await fetch(claim.outputs['image-0.png']!, { method: 'PUT', body: png, headers: { 'content-type': 'image/png' } });
        if (put.status !== 200) throw new Error(`upload failed with HTTP ${put.status}`);
        await client.jobs('Complete', { jobId: job.id, outputs: ['image-0.png'] }, asAgent);
        dispatched += 1;
      }
    }),
  );
  const dispatchSeconds = (performance.now() - started) / 1000;
  for (const client of agentClients.splice(0)) client.close();
  claimMs.sort((a, b) => a - b);
  const jobsPerSecond = dispatched / dispatchSeconds;

  // End to end with a real agent process.
  const { result: registered, token } = await registerAgent(admin, { name: 'real-agent', owner: 'bench' });
  const real = registered as AgentView;
  const cacheDir = join(cluster.dir, 'agent-cache');
  agentProcess = spawn(process.execPath, [BIN, 'agent', '--servers', servers.join(','), '--cache-dir', cacheDir, '--device', 'cpu'], {
    env: { ...process.env, TEAMBOOTH_AGENT_TOKEN: token, TEAMBOOTH_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  // Only the real agent may take these jobs: the simulated ones are revoked.
  await pool(agents.length, CONCURRENCY, async (i) => {
    await admin.propose({ type: 'revokeAgent', agentId: agents[i]!.id });
  });
  for (let ready = false; !ready; await new Promise((r) => setTimeout(r, 200))) {
    ready = ((await admin.query({ type: 'getAgent', agentId: real.id })) as AgentView).capabilities !== null;
  }
  const request = { prompt: 'a small red star on a blue background', steps: STEPS, guidanceScale: 7.5 };
  const e2eMs: number[] = [];
  for (let i = -1; i < E2E_JOBS; i++) {
    const t0 = performance.now();
    const reply = await admin.jobs('Submit', { kind: 'imagine', params: JSON.stringify({ ...request, seed: 1000 + i }), requester: 'e2e', idempotencyKey: '' }, asAdmin);
    const id = (JSON.parse(reply.job) as Job).id;
    for await (const update of admin.watchJob(id)) {
      const job = JSON.parse(update.job) as Job;
      if (job.state === 'failed' || job.state === 'cancelled') throw new Error(`job ${id} ${job.state}: ${JSON.stringify(job.errors)}`);
    }
    const urls = await admin.jobs('ResultUrls', { jobId: id }, asAdmin);
    await (await fetch(urls.urls['image-0.png']!)).arrayBuffer();
    if (i >= 0) e2eMs.push(performance.now() - t0); // the first job warms the agent's model up
  }
  e2eMs.sort((a, b) => a - b);

  // The model's own compute for the same request, in this process.
  const model = await loadStableDiffusionModel(await ensureTinyModel(join(cluster.dir, 'models')), { device: 'cpu', logger: silent });
  const computeMs: number[] = [];
  for (let i = -1; i < E2E_JOBS; i++) {
    const t0 = performance.now();
    const result = await generate(model, { ...request, seed: 1000 + i, width: 64, height: 64 });
    await encodePng(result.images[0]!);
    if (i >= 0) computeMs.push(performance.now() - t0);
  }
  await model.release();
  computeMs.sort((a, b) => a - b);
  const e2eMedian = percentile(e2eMs, 50);
  const computeMedian = percentile(computeMs, 50);

  console.log(
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
        dispatch: {
          agents: AGENTS,
          jobs: JOBS,
          requesters: REQUESTERS,
          dispatched,
          submitPerSecond: Number((JOBS / submitSeconds).toFixed(0)),
          jobsPerSecond: Number(jobsPerSecond.toFixed(0)),
          claimMs: { p50: Number(percentile(claimMs, 50).toFixed(1)), p99: Number(percentile(claimMs, 99).toFixed(1)) },
          baselineWritesPerSecond: Number(writesPerSecond.toFixed(0)),
          ratio: Number((jobsPerSecond / writesPerSecond).toFixed(2)),
        },
        endToEnd: {
          jobs: E2E_JOBS,
          steps: STEPS,
          medianMs: Number(e2eMedian.toFixed(1)),
          computeMedianMs: Number(computeMedian.toFixed(1)),
          overheadMedianMs: Number((e2eMedian - computeMedian).toFixed(1)),
          ratio: Number((e2eMedian / computeMedian).toFixed(2)),
        },
      },
      null,
      2,
    ),
  );
} finally {
  agentProcess?.kill('SIGKILL');
  for (const client of agentClients) client.close();
  await cluster.close();
  await s3.close();
}
