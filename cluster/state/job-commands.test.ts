import { describe, expect, it } from 'vitest';
import { STATE_LIMITS } from './limits.ts';
import { StateHarness } from './test-harness.ts';
import type { Job } from './types.ts';

const imagine = (prompt: string, extra: Record<string, unknown> = {}) => ({ type: 'submitJob', kind: 'imagine', params: { prompt }, requester: 'u1', ...extra });

describe('submitJob', () => {
  it('queues a job with an id from the entry index', () => {
    const h = new StateHarness();
    h.agent('box');
    const job = h.ok<Job>(imagine('a red star'));
    expect(job).toEqual({
      id: `j-${h.index}`,
      kind: 'imagine',
      params: { prompt: 'a red star' },
      requester: 'u1',
      idempotencyKey: null,
      state: 'queued',
      attempts: 0,
      leaseHolder: null,
      leaseExpiresAt: null,
      leasedAt: null,
      startedAt: null,
      finishedAt: null,
      progress: null,
      result: null,
      errors: [],
      modelVersion: null,
      basis: null,
      createdAt: h.now,
      updatedAt: h.now,
    });
  });

  it('returns the existing job for an idempotency key already seen from the same requester', () => {
    const h = new StateHarness();
    h.agent('box');
    const first = h.ok<Job>(imagine('a red star', { idempotencyKey: 'interaction-1' }));
    const again = h.ok<Job>(imagine('a red star', { idempotencyKey: 'interaction-1' }), { clientId: 'another-bot-process' });
    expect(again.id).toBe(first.id);
    const otherUser = h.ok<Job>({ ...imagine('a red star', { idempotencyKey: 'interaction-1' }), requester: 'u2' });
    expect(otherUser.id).not.toBe(first.id);
    expect(h.query<{ jobs: Job[] }>({ type: 'listJobs' }).jobs).toHaveLength(2);
  });

  it('refuses params that are not an object or are too large', () => {
    const h = new StateHarness();
    expect(h.refused({ type: 'submitJob', kind: 'imagine', params: 'a cat', requester: 'u1' })).toMatchObject({ code: 'invalid', message: expect.stringMatching(/params: must be a JSON object/) });
    const huge = 'x'.repeat(STATE_LIMITS.maxJobPayloadChars);
    expect(h.refused(imagine(huge))).toMatchObject({ code: 'invalid', message: expect.stringMatching(/params: is too large .*limit 65536/) });
    expect(h.refused({ type: 'submitJob', kind: 'paint', params: {}, requester: 'u1' })).toMatchObject({ message: expect.stringMatching(/kind: must be one of imagine, train, merge/) });
  });
});

describe('leaseJob', () => {
  it('leases the oldest queued job, counts the attempt and sets the lease expiry', () => {
    const h = new StateHarness();
    const agentId = h.agent('box');
    const first = h.ok<Job>(imagine('one'));
    h.ok(imagine('two'));
    h.now += 1000;
    expect(h.ok<Job>({ type: 'leaseJob', agentId, leaseMs: 30_000 })).toMatchObject({
      id: first.id,
      state: 'leased',
      attempts: 1,
      leaseHolder: agentId,
      leaseExpiresAt: h.now + 30_000,
    });
  });

  it('returns null when no queued job fits; train jobs need an agent that reported canTrain', () => {
    const h = new StateHarness();
    const viewer = h.agent('viewer', { canTrain: false });
    const trainer = h.agent('trainer', { canTrain: true });
    expect(h.run({ type: 'leaseJob', agentId: viewer, leaseMs: 1000 })).toEqual({ ok: true, value: null });
    const train = h.ok<Job>({ type: 'submitJob', kind: 'train', params: { token: 'zxq', classWord: 'dog' }, requester: 'u1' });
    expect(h.run({ type: 'leaseJob', agentId: viewer, leaseMs: 1000 })).toEqual({ ok: true, value: null });
    const later = h.ok<Job>(imagine('after the train job'));
    expect(h.ok<Job>({ type: 'leaseJob', agentId: viewer, leaseMs: 1000 }).id).toBe(later.id);
    expect(h.ok<Job>({ type: 'leaseJob', agentId: trainer, leaseMs: 1000 }).id).toBe(train.id);
  });

  it('honours the kinds filter and a requested job id', () => {
    const h = new StateHarness();
    const agentId = h.agent('box', { canTrain: true });
    h.ok(imagine('one'));
    const train = h.ok<Job>({ type: 'submitJob', kind: 'train', params: { token: 'zxq', classWord: 'dog' }, requester: 'u1' });
    const two = h.ok<Job>(imagine('two'));
    expect(h.ok<Job>({ type: 'leaseJob', agentId, leaseMs: 1000, kinds: ['train'] }).id).toBe(train.id);
    expect(h.ok<Job>({ type: 'leaseJob', agentId, leaseMs: 1000, jobId: two.id }).id).toBe(two.id);
    expect(h.refused({ type: 'leaseJob', agentId, leaseMs: 1000, jobId: two.id })).toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/is leased, not queued/) });
  });

  it('refuses paused, revoked and unknown agents, and leases beyond 24 hours', () => {
    const h = new StateHarness();
    const agentId = h.agent('box');
    h.ok(imagine('one'));
    expect(h.refused({ type: 'leaseJob', agentId, leaseMs: STATE_LIMITS.maxLeaseMs + 1 })).toMatchObject({ code: 'invalid', message: expect.stringMatching(/leaseMs: must be at most/) });
    h.ok({ type: 'setAgentStatus', agentId, status: 'paused' });
    expect(h.refused({ type: 'leaseJob', agentId, leaseMs: 1000 })).toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/is paused; set its status to active/) });
    h.agent('spare');
    h.ok({ type: 'revokeAgent', agentId });
    expect(h.refused({ type: 'leaseJob', agentId, leaseMs: 1000 }).code).toBe('permission_denied');
    expect(h.refused({ type: 'leaseJob', agentId: 'a-12345678', leaseMs: 1000 }).code).toBe('not_found');
    expect(h.query({ type: 'summary' })).toMatchObject({ jobs: { queued: 1 } });
  });
});

describe('startJob and completeJob', () => {
  it('runs a leased job to success with its result', () => {
    const h = new StateHarness();
    const agentId = h.agent('box');
    const job = h.ok<Job>(imagine('one'));
    const leasedAt = h.now;
    h.ok({ type: 'leaseJob', agentId, leaseMs: 1000 });
    h.now += 100;
    expect(h.ok<Job>({ type: 'startJob', agentId, jobId: job.id })).toMatchObject({ state: 'running', leasedAt, startedAt: h.now, finishedAt: null });
    h.now += 500;
    expect(h.ok<Job>({ type: 'completeJob', agentId, jobId: job.id, result: { imageKey: 'images/1.png' } })).toMatchObject({
      state: 'succeeded',
      result: { imageKey: 'images/1.png' },
      leaseHolder: null,
      leaseExpiresAt: null,
      leasedAt,
      startedAt: leasedAt + 100,
      finishedAt: h.now,
      updatedAt: h.now,
    });
  });

  it('refuses reports from an agent that does not hold the job', () => {
    const h = new StateHarness();
    const holder = h.agent('holder');
    const other = h.agent('other');
    const job = h.ok<Job>(imagine('one'));
    expect(h.refused({ type: 'completeJob', agentId: holder, jobId: job.id, result: {} })).toMatchObject({
      code: 'failed_precondition',
      message: expect.stringMatching(/is queued again .*lease it again/),
    });
    h.ok({ type: 'leaseJob', agentId: holder, leaseMs: 1000 });
    expect(h.refused({ type: 'completeJob', agentId: other, jobId: job.id, result: {} })).toMatchObject({
      code: 'failed_precondition',
      message: `job ${job.id} is leased to ${holder}, not ${other}; its lease may have expired and moved on`,
    });
    expect(h.refused({ type: 'startJob', agentId: holder, jobId: 'j-999' }).code).toBe('not_found');
    h.ok({ type: 'completeJob', agentId: holder, jobId: job.id, result: {} });
    expect(h.refused({ type: 'failJob', agentId: holder, jobId: job.id, reason: 'late' })).toMatchObject({ message: expect.stringMatching(/already succeeded; drop this work/) });
  });
});

describe('failJob', () => {
  it(`re-queues a failed attempt and fails the job for good after ${STATE_LIMITS.maxJobAttempts} attempts, keeping every reason`, () => {
    const h = new StateHarness();
    const agentId = h.agent('box');
    const job = h.ok<Job>(imagine('one'));
    const reasons = ['out of memory', 'CUDA error', 'NaN loss'];
    for (const [i, reason] of reasons.entries()) {
      const leased = h.ok<Job>({ type: 'leaseJob', agentId, leaseMs: 1000 });
      expect(leased).toMatchObject({ id: job.id, attempts: i + 1 });
      const after = h.ok<Job>({ type: 'failJob', agentId, jobId: job.id, reason });
      expect(after.state).toBe(i < reasons.length - 1 ? 'queued' : 'failed');
    }
    const final = h.query<Job>({ type: 'getJob', jobId: job.id });
    expect(final.errors.map((e) => [e.attempt, e.agentId, e.message])).toEqual([
      [1, agentId, 'out of memory'],
      [2, agentId, 'CUDA error'],
      [3, agentId, 'NaN loss'],
    ]);
    expect(h.run({ type: 'leaseJob', agentId, leaseMs: 1000 })).toEqual({ ok: true, value: null });
  });

  it('sends a re-queued job to the back of the queue', () => {
    const h = new StateHarness();
    const agentId = h.agent('box');
    const first = h.ok<Job>(imagine('one'));
    const second = h.ok<Job>(imagine('two'));
    h.ok({ type: 'leaseJob', agentId, leaseMs: 1000 });
    h.ok({ type: 'failJob', agentId, jobId: first.id, reason: 'oom' });
    expect(h.ok<Job>({ type: 'leaseJob', agentId, leaseMs: 1000 }).id).toBe(second.id);
    expect(h.ok<Job>({ type: 'leaseJob', agentId, leaseMs: 1000 }).id).toBe(first.id);
  });
});

describe('expireLeases', () => {
  it('ends every attempt whose lease ran out, oldest job first, and leaves the others', () => {
    const h = new StateHarness();
    const agentId = h.agent('box');
    const a = h.ok<Job>(imagine('a'));
    const b = h.ok<Job>(imagine('b'));
    const c = h.ok<Job>(imagine('c'));
    const start = h.now;
    h.ok({ type: 'leaseJob', agentId, leaseMs: 5000, jobId: b.id });
    h.ok({ type: 'leaseJob', agentId, leaseMs: 1000, jobId: a.id });
    h.ok({ type: 'leaseJob', agentId, leaseMs: 60_000, jobId: c.id });
    expect(h.ok({ type: 'expireLeases', now: start + 999 })).toEqual({ expired: [] });
    expect(h.ok({ type: 'expireLeases', now: start + 5000 })).toEqual({
      expired: [
        { jobId: a.id, agentId, state: 'queued' },
        { jobId: b.id, agentId, state: 'queued' },
      ],
    });
    expect(h.query({ type: 'getJob', jobId: a.id })).toMatchObject({ state: 'queued', errors: [{ message: expect.stringMatching(/lease expired/) }] });
    expect(h.query({ type: 'getJob', jobId: c.id })).toMatchObject({ state: 'leased', leaseHolder: agentId });
    // The expired holder can no longer complete the job.
    expect(h.refused({ type: 'completeJob', agentId, jobId: a.id, result: {} }).code).toBe('failed_precondition');
  });

  it('counts an expired lease as a failed attempt', () => {
    const h = new StateHarness();
    const agentId = h.agent('box');
    const job = h.ok<Job>(imagine('a'));
    for (let i = 0; i < STATE_LIMITS.maxJobAttempts; i++) {
      h.ok({ type: 'leaseJob', agentId, leaseMs: 1000 });
      h.now += 1000;
      h.ok({ type: 'expireLeases', now: h.now });
    }
    expect(h.query({ type: 'getJob', jobId: job.id })).toMatchObject({ state: 'failed', attempts: 3 });
  });
});

describe('cancelJob', () => {
  it('cancels a queued or leased job for its requester or an admin', () => {
    const h = new StateHarness();
    const agentId = h.agent('box');
    const queued = h.ok<Job>(imagine('one'));
    const leased = h.ok<Job>(imagine('two'));
    h.ok({ type: 'leaseJob', agentId, leaseMs: 1000, jobId: leased.id });
    expect(h.ok<Job>({ type: 'cancelJob', jobId: queued.id, requester: 'u1' })).toMatchObject({ state: 'cancelled', finishedAt: h.now });
    expect(h.ok<Job>({ type: 'cancelJob', jobId: leased.id })).toMatchObject({ state: 'cancelled', leaseHolder: null, finishedAt: h.now });
    expect(h.run({ type: 'leaseJob', agentId, leaseMs: 1000 })).toEqual({ ok: true, value: null });
    expect(h.refused({ type: 'completeJob', agentId, jobId: leased.id, result: {} })).toMatchObject({ message: expect.stringMatching(/been cancelled; drop this work/) });
  });

  it('refuses other users, finished jobs and unknown ids', () => {
    const h = new StateHarness();
    h.agent('box');
    const job = h.ok<Job>(imagine('one'));
    expect(h.refused({ type: 'cancelJob', jobId: job.id, requester: 'mallory' })).toEqual({
      code: 'permission_denied',
      message: `job ${job.id} was submitted by u1; only they or an admin can cancel it`,
    });
    h.ok({ type: 'cancelJob', jobId: job.id });
    expect(h.refused({ type: 'cancelJob', jobId: job.id })).toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/already been cancelled/) });
    expect(h.refused({ type: 'cancelJob', jobId: 'j-4242' }).code).toBe('not_found');
  });
});

describe('submitJob checks that some agent can run the job', () => {
  it('refuses a job no active or paused agent can run, saying what is missing', () => {
    const h = new StateHarness();
    const train = { type: 'submitJob', kind: 'train', params: { token: 'zxq' }, requester: 'u1' };
    expect(h.refused(imagine('a cat'))).toEqual({
      code: 'failed_precondition',
      message: 'no registered agent can run this job: no agent is registered; ask an admin to register one, see `teambooth agents token create`',
    });
    h.agent('gpu-a', null);
    expect(h.refused(imagine('a cat')).message).toBe(
      'no registered agent can run this job: the only registered agent (gpu-a) has not connected and reported capabilities yet; start one, or ask an admin to register one, see `teambooth agents token create`',
    );
    const a = h.agent('gpu-b', { maxImageSize: 768 });
    expect(h.refused(train)).toEqual({
      code: 'failed_precondition',
      message:
        'no registered agent can run this job: it needs an agent that can train, and the 2 registered agents (gpu-a, gpu-b) cannot; ask an admin to register one, see `teambooth agents token create`',
    });
    expect(h.refused(imagine('a big cat', { params: { prompt: 'a big cat', width: 1024, height: 512 } })).message).toBe(
      'no registered agent can run this job: it asks for 1024-pixel images, and the largest that the 2 registered agents (gpu-a, gpu-b) can make is 768 pixels; ' +
        'ask for a width and height of at most 768, or ask an admin to register a bigger agent, see `teambooth agents token create`',
    );
    // A paused agent still counts: the job waits for it to be resumed.
    h.ok({ type: 'setAgentStatus', agentId: a, status: 'paused' });
    expect(h.ok<Job>(imagine('a cat', { params: { width: 768, height: '2000' } })).state).toBe('queued');
    expect(h.refused({ type: 'submitJob', kind: 'merge', params: {}, requester: 'leader' }).message).toBe(
      'merge jobs are created by the cluster when a train job succeeds; submit a train job instead',
    );
  });

  it('names at most five agents', () => {
    const h = new StateHarness();
    for (let i = 1; i <= 7; i++) h.agent(`gpu-${i}`);
    expect(h.refused({ type: 'submitJob', kind: 'train', params: {}, requester: 'u1' }).message).toMatch(
      /the 7 registered agents \(gpu-1, gpu-2, gpu-3, gpu-4, gpu-5 and 2 more\) cannot/,
    );
  });
});

describe(`submitJob limits each requester to ${STATE_LIMITS.maxQueuedJobsPerRequester} queued jobs`, () => {
  it('refuses one more with resource_exhausted, counting only queued jobs of that requester', () => {
    const h = new StateHarness();
    const agentId = h.agent('box');
    for (let i = 0; i < STATE_LIMITS.maxQueuedJobsPerRequester; i++) h.ok(imagine(`cat ${i}`, { idempotencyKey: `k${i}` }));
    expect(h.refused(imagine('one too many'))).toEqual({
      code: 'resource_exhausted',
      message: 'you already have 20 queued jobs (the limit); wait for some to finish or cancel one with `teambooth jobs cancel ID`',
    });
    // A retry of an accepted submission still gets its job, and other requesters are not affected.
    expect(h.ok<Job>(imagine('cat 3', { idempotencyKey: 'k3' })).state).toBe('queued');
    expect(h.ok<Job>({ ...imagine('mine'), requester: 'u2' }).state).toBe('queued');
    // A leased job no longer counts as queued.
    h.ok({ type: 'leaseJob', agentId, leaseMs: 1000 });
    expect(h.ok<Job>(imagine('room again')).state).toBe('queued');
  });
});

describe('leaseJob matches capabilities', () => {
  it('sends imagine jobs only to agents that make images that large, and nothing to agents that have not reported', () => {
    const h = new StateHarness();
    const silent = h.agent('silent', null);
    const small = h.agent('small', { maxImageSize: 512 });
    const big = h.agent('big', { maxImageSize: 1024 });
    const large = h.ok<Job>(imagine('large', { params: { prompt: 'large', width: 640, height: 1024 } }));
    const plain = h.ok<Job>(imagine('plain', { params: { prompt: 'plain', width: 'huge' } }));
    expect(h.run({ type: 'leaseJob', agentId: silent, leaseMs: 1000 })).toEqual({ ok: true, value: null });
    expect(h.refused({ type: 'leaseJob', agentId: silent, leaseMs: 1000, jobId: plain.id })).toEqual({
      code: 'failed_precondition',
      message: `agent ${silent} has not reported its capabilities yet; it takes jobs after its first heartbeat with capabilities`,
    });
    expect(h.refused({ type: 'leaseJob', agentId: small, leaseMs: 1000, jobId: large.id }).message).toBe(
      `job ${large.id} needs 1024-pixel images and agent ${small} makes at most 512`,
    );
    expect(h.ok<Job>({ type: 'leaseJob', agentId: small, leaseMs: 1000 }).id).toBe(plain.id);
    expect(h.run({ type: 'leaseJob', agentId: small, leaseMs: 1000 })).toEqual({ ok: true, value: null });
    expect(h.ok<Job>({ type: 'leaseJob', agentId: big, leaseMs: 1000 }).id).toBe(large.id);
  });
});

describe('reportProgress', () => {
  it('moves a leased job to running, stores the progress and renews the lease', () => {
    const h = new StateHarness();
    const agentId = h.agent('box', { canTrain: true });
    const job = h.ok<Job>({ type: 'submitJob', kind: 'train', params: { token: 'zxq', classWord: 'dog' }, requester: 'u1' });
    const leasedAt = h.now;
    h.ok({ type: 'leaseJob', agentId, leaseMs: 1000 });
    h.now += 800;
    const first = h.ok<Job>({ type: 'reportProgress', agentId, jobId: job.id, leaseMs: 1000, progress: { step: 1, total: 50, loss: 0.25, phase: 'training' } });
    expect(first).toMatchObject({
      state: 'running',
      leasedAt,
      startedAt: h.now,
      leaseExpiresAt: h.now + 1000,
      progress: { step: 1, total: 50, loss: 0.25, phase: 'training', at: h.now },
    });
    h.now += 800;
    const second = h.ok<Job>({ type: 'reportProgress', agentId, jobId: job.id, leaseMs: 5000, progress: { step: 50, total: 50 } });
    expect(second).toMatchObject({ startedAt: first.startedAt, leaseExpiresAt: h.now + 5000, progress: { step: 50, total: 50, loss: null, phase: null, at: h.now } });
    // Past the first lease's end, but the renewed lease still holds.
    expect(h.ok({ type: 'expireLeases', now: leasedAt + 2000 })).toEqual({ expired: [] });
    expect(h.query<Job>({ type: 'getJob', jobId: job.id }).progress).toEqual(second.progress);
  });

  it('is refused from agents that do not hold the job, and drops the progress when the attempt fails', () => {
    const h = new StateHarness();
    const holder = h.agent('holder');
    const other = h.agent('other');
    const job = h.ok<Job>(imagine('one'));
    const report = (agentId: string) => ({ type: 'reportProgress', agentId, jobId: job.id, leaseMs: 1000, progress: { step: 3, total: 20 } });
    expect(h.refused(report(holder)).message).toMatch(/cannot be reported on by .*: it is queued again/);
    h.ok({ type: 'leaseJob', agentId: holder, leaseMs: 1000 });
    expect(h.refused(report(other)).message).toBe(`job ${job.id} is leased to ${holder}, not ${other}; its lease may have expired and moved on`);
    h.ok(report(holder));
    expect(h.ok<Job>({ type: 'failJob', agentId: holder, jobId: job.id, reason: 'oom' })).toMatchObject({ state: 'queued', progress: null, startedAt: null, leasedAt: null });
  });

  it('validates the progress fields', () => {
    const h = new StateHarness();
    const base = { type: 'reportProgress', agentId: 'a-12345678', jobId: 'j-1', leaseMs: 1000 };
    expect(h.refused({ ...base, progress: { step: 5, total: 4 } }).message).toBe('invalid reportProgress command: progress.step: step must not be greater than total');
    expect(h.refused({ ...base, progress: { step: -1, total: 1.5 } }).message).toBe(
      'invalid reportProgress command: progress.step: must not be negative; progress.total: must be a whole number',
    );
    expect(h.refused({ ...base, progress: { step: 1, total: 2, loss: 'low', phase: 'x'.repeat(65), eta: 3 } }).message).toBe(
      'invalid reportProgress command: progress.loss: must be a finite number; progress.phase: must be at most 64 characters; progress: unknown field "eta" (remove it or check the spelling)',
    );
    expect(h.refused({ ...base, leaseMs: 0 }).message).toBe('invalid reportProgress command: leaseMs: must be at least 1; progress: is required');
  });
});

describe('failJob final', () => {
  it('fails the job for good on its first attempt without counting against the agent', () => {
    const h = new StateHarness();
    const agentId = h.agent('box');
    const job = h.ok<Job>(imagine('one'));
    h.ok({ type: 'leaseJob', agentId, leaseMs: 1000 });
    expect(h.ok<Job>({ type: 'failJob', agentId, jobId: job.id, reason: 'photo 2 is not a PNG or JPEG', final: true })).toMatchObject({
      state: 'failed',
      attempts: 1,
      finishedAt: h.now,
      errors: [{ attempt: 1, agentId, message: 'photo 2 is not a PNG or JPEG' }],
    });
    expect(h.query({ type: 'getAgent', agentId })).toMatchObject({ status: 'active', recentFailures: [] });
    expect(h.refused({ type: 'failJob', agentId, jobId: job.id, reason: 'x', final: 'yes' }).message).toBe('invalid failJob command: final: must be true or false');
  });
});

describe('releaseJob', () => {
  it('gives a held job back without counting the attempt or blaming the agent, and only from its holder', () => {
    const h = new StateHarness();
    const holder = h.agent('box');
    const other = h.agent('other');
    const job = h.ok<Job>(imagine('a red star'));
    h.ok({ type: 'leaseJob', agentId: holder, leaseMs: 30_000 });
    expect(h.refused({ type: 'releaseJob', agentId: other, jobId: job.id })).toMatchObject({ code: 'failed_precondition' });
    const released = h.ok<Job>({ type: 'releaseJob', agentId: holder, jobId: job.id });
    expect(released).toMatchObject({ state: 'queued', attempts: 0, leaseHolder: null, leaseExpiresAt: null, errors: [] });
    expect(h.query<{ recentFailures: number[] }>({ type: 'getAgent', agentId: holder }).recentFailures).toEqual([]);
    // The next lease is attempt 1 again, by whichever agent asks.
    expect(h.ok<Job>({ type: 'leaseJob', agentId: other, leaseMs: 30_000 })).toMatchObject({ id: job.id, attempts: 1, leaseHolder: other });
  });
});

describe('dueLeases and queueLength', () => {
  it('count the leases that ran out and the queued jobs, for the leader and idle claims', () => {
    const h = new StateHarness();
    const agentId = h.agent('box');
    h.ok(imagine('one'));
    h.ok(imagine('two'));
    expect(h.query({ type: 'queueLength' })).toEqual({ queued: 2 });
    h.ok({ type: 'leaseJob', agentId, leaseMs: 5_000 });
    expect(h.query({ type: 'queueLength' })).toEqual({ queued: 1 });
    expect(h.query({ type: 'dueLeases', now: h.now + 4_999 })).toEqual({ count: 0 });
    expect(h.query({ type: 'dueLeases', now: h.now + 5_000 })).toEqual({ count: 1 });
  });
});
