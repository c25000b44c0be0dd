import { describe, expect, it } from 'vitest';
import { STATE_LIMITS } from './limits.ts';
import { StateHarness } from './test-harness.ts';
import type { Job } from './types.ts';

const imagine = (prompt: string, extra: Record<string, unknown> = {}) => ({ type: 'submitJob', kind: 'imagine', params: { prompt }, requester: 'u1', ...extra });

describe('submitJob', () => {
  it('queues a job with an id from the entry index', () => {
    const h = new StateHarness();
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
      result: null,
      errors: [],
      createdAt: h.now,
      updatedAt: h.now,
    });
  });

  it('returns the existing job for an idempotency key already seen from the same requester', () => {
    const h = new StateHarness();
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
    const train = h.ok<Job>({ type: 'submitJob', kind: 'train', params: { token: 'zxq' }, requester: 'u1' });
    expect(h.run({ type: 'leaseJob', agentId: viewer, leaseMs: 1000 })).toEqual({ ok: true, value: null });
    const later = h.ok<Job>(imagine('after the train job'));
    expect(h.ok<Job>({ type: 'leaseJob', agentId: viewer, leaseMs: 1000 }).id).toBe(later.id);
    expect(h.ok<Job>({ type: 'leaseJob', agentId: trainer, leaseMs: 1000 }).id).toBe(train.id);
  });

  it('honours the kinds filter and a requested job id', () => {
    const h = new StateHarness();
    const agentId = h.agent('box', { canTrain: true });
    h.ok(imagine('one'));
    const merge = h.ok<Job>({ type: 'submitJob', kind: 'merge', params: {}, requester: 'leader' });
    const two = h.ok<Job>(imagine('two'));
    expect(h.ok<Job>({ type: 'leaseJob', agentId, leaseMs: 1000, kinds: ['merge'] }).id).toBe(merge.id);
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
    h.ok({ type: 'leaseJob', agentId, leaseMs: 1000 });
    expect(h.ok<Job>({ type: 'startJob', agentId, jobId: job.id }).state).toBe('running');
    h.now += 500;
    expect(h.ok<Job>({ type: 'completeJob', agentId, jobId: job.id, result: { imageKey: 'images/1.png' } })).toMatchObject({
      state: 'succeeded',
      result: { imageKey: 'images/1.png' },
      leaseHolder: null,
      leaseExpiresAt: null,
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
    expect(h.ok<Job>({ type: 'cancelJob', jobId: queued.id, requester: 'u1' }).state).toBe('cancelled');
    expect(h.ok<Job>({ type: 'cancelJob', jobId: leased.id })).toMatchObject({ state: 'cancelled', leaseHolder: null });
    expect(h.run({ type: 'leaseJob', agentId, leaseMs: 1000 })).toEqual({ ok: true, value: null });
    expect(h.refused({ type: 'completeJob', agentId, jobId: leased.id, result: {} })).toMatchObject({ message: expect.stringMatching(/been cancelled; drop this work/) });
  });

  it('refuses other users, finished jobs and unknown ids', () => {
    const h = new StateHarness();
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
