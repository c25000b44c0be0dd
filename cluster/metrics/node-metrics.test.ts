import { afterAll, describe, expect, it } from 'vitest';
import { OneNodeCluster } from '../jobs/testing/one-node-cluster.ts';
import type { Job } from '../state/types.ts';
import { sampleValue, scrape } from './testing/scrape.ts';

const asAdmin = { mode: 'leader' as const, auth: 'admin' as const };
let cluster: OneNodeCluster | undefined;

afterAll(async () => {
  await cluster?.close();
});

describe("a node's metrics", () => {
  it('reports Raft status, the queue, agents and the latency of ended jobs at /metrics', async () => {
    cluster = await OneNodeCluster.start({ metricsListen: '127.0.0.1:0' });
    const url = cluster.node.metricsUrl!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const at = async (series: string) => sampleValue(await scrape(url), series);

    const first = await scrape(url);
    expect(sampleValue(first, 'teambooth_raft_is_leader')).toBe(1);
    expect(sampleValue(first, 'teambooth_raft_term')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(first, 'teambooth_raft_leader_changes_total')).toBe(1);
    expect(sampleValue(first, 'teambooth_raft_applied_index')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(first, 'teambooth_raft_commit_index')).toBeGreaterThanOrEqual(sampleValue(first, 'teambooth_raft_applied_index')!);
    expect(sampleValue(first, 'teambooth_jobs_queue_length')).toBe(0);
    expect(sampleValue(first, 'teambooth_agents_online')).toBe(0);

    await cluster.agent('gpu-1');
    const admin = cluster.admin();
    const submitted = JSON.parse(
      (await admin.jobs('Submit', { kind: 'imagine', params: JSON.stringify({ prompt: 'a red star' }), requester: 'alice', idempotencyKey: '' }, asAdmin)).job,
    ) as Job;
    const queued = await scrape(url);
    expect(sampleValue(queued, 'teambooth_jobs_queue_length')).toBe(1);
    expect(sampleValue(queued, 'teambooth_jobs{state="queued"}')).toBe(1);
    expect(sampleValue(queued, 'teambooth_agents{status="active"}')).toBe(1);
    expect(sampleValue(queued, 'teambooth_agents{status="revoked"}')).toBe(0);
    expect(sampleValue(queued, 'teambooth_agents_online')).toBe(1);
    expect(sampleValue(queued, 'teambooth_job_latency_seconds_count{kind="imagine",outcome="cancelled"}')).toBeUndefined();

    await admin.jobs('Cancel', { jobId: submitted.id, requester: '' }, asAdmin);
    const cancelled = (await admin.query({ type: 'getJob', jobId: submitted.id })) as Job;
    const ended = await scrape(url);
    expect(sampleValue(ended, 'teambooth_jobs_queue_length')).toBe(0);
    expect(sampleValue(ended, 'teambooth_jobs{state="cancelled"}')).toBe(1);
    expect(sampleValue(ended, 'teambooth_job_latency_seconds_count{kind="imagine",outcome="cancelled"}')).toBe(1);
    expect(sampleValue(ended, 'teambooth_job_latency_seconds_sum{kind="imagine",outcome="cancelled"}')).toBeCloseTo((cancelled.finishedAt! - cancelled.createdAt) / 1000, 9);
    // Observed once: later scrapes do not count the job again.
    expect(await at('teambooth_job_latency_seconds_count{kind="imagine",outcome="cancelled"}')).toBe(1);
    expect(await at('teambooth_raft_leader_changes_total')).toBe(1);
  });
});
