import { describe, expect, it } from 'vitest';
import { STATE_LIMITS } from './limits.ts';
import { StateHarness } from './test-harness.ts';
import type { Job } from './types.ts';

const submit = (h: StateHarness, requester: string, kind = 'imagine'): string =>
  h.ok<Job>({ type: 'submitJob', kind, params: kind === 'train' ? { token: `${requester}-subject`, classWord: 'dog' } : {}, requester }).id;
const lease = (h: StateHarness, agentId: string): string | null => h.ok<Job | null>({ type: 'leaseJob', agentId, leaseMs: 60_000 })?.id ?? null;

describe('leaseJob without a job id serves requesters fairly', () => {
  it('serves the requester with the fewest active jobs first, ties to the oldest queued job, each requester first in first out', () => {
    const h = new StateHarness();
    const agentId = h.agent('box');
    const [a1, a2, a3] = [submit(h, 'alice'), submit(h, 'alice'), submit(h, 'alice')];
    const b1 = submit(h, 'bob');
    const c1 = submit(h, 'carol');
    const b2 = submit(h, 'bob');
    // alice's batch does not hold bob and carol back: once she has a job running they go first.
    expect([lease(h, agentId), lease(h, agentId), lease(h, agentId), lease(h, agentId), lease(h, agentId), lease(h, agentId)]).toEqual([a1, b1, c1, a2, b2, a3]);
  });

  it('counts active jobs across agents and frees a slot when a job ends', () => {
    const h = new StateHarness();
    const one = h.agent('one');
    const two = h.agent('two');
    const a1 = submit(h, 'alice');
    const a2 = submit(h, 'alice');
    const b1 = submit(h, 'bob');
    const b2 = submit(h, 'bob');
    expect(lease(h, one)).toBe(a1);
    expect(lease(h, two)).toBe(b1);
    h.ok({ type: 'completeJob', agentId: one, jobId: a1, result: {} });
    // alice now has no active job and bob one: alice goes first although bob's job is older.
    expect(lease(h, one)).toBe(a2);
    expect(lease(h, two)).toBe(b2);
  });

  it('breaks a tie by the oldest job the agent can run, not the oldest job of the requester', () => {
    const h = new StateHarness();
    const viewer = h.agent('viewer');
    const trainer = h.agent('trainer', { canTrain: true });
    const aliceTrain = submit(h, 'alice', 'train');
    const bobImagine = submit(h, 'bob');
    const aliceImagine = submit(h, 'alice');
    expect(lease(h, viewer)).toBe(bobImagine);
    expect(lease(h, viewer)).toBe(aliceImagine);
    expect(lease(h, trainer)).toBe(aliceTrain);
  });

  it(`passes over a requester with ${STATE_LIMITS.maxActiveJobsPerRequester} leased or running jobs until one ends`, () => {
    const h = new StateHarness();
    const agentId = h.agent('box');
    const alice = Array.from({ length: STATE_LIMITS.maxActiveJobsPerRequester + 2 }, () => submit(h, 'alice'));
    for (const id of alice.slice(0, STATE_LIMITS.maxActiveJobsPerRequester)) expect(lease(h, agentId)).toBe(id);
    const bob = submit(h, 'bob');
    expect(lease(h, agentId)).toBe(bob);
    expect(lease(h, agentId)).toBeNull();
    const waiting = alice[STATE_LIMITS.maxActiveJobsPerRequester] as string;
    expect(h.refused({ type: 'leaseJob', agentId, leaseMs: 1000, jobId: waiting })).toEqual({
      code: 'failed_precondition',
      message: `job ${waiting} belongs to alice, who already has 4 leased or running jobs (the limit); lease another job, or leave out jobId to get the next fair one`,
    });
    h.ok({ type: 'failJob', agentId, jobId: alice[0], reason: 'oom' });
    // The failed job went to the back of alice's queue; her next job goes first.
    expect(lease(h, agentId)).toBe(waiting);
    expect(lease(h, agentId)).toBeNull();
  });

  it('keeps the same order after a snapshot restore, whose indexes are rebuilt', () => {
    const h = new StateHarness();
    const agentId = h.agent('box');
    const order = ['alice', 'alice', 'bob', 'alice', 'carol', 'bob'].map((requester) => submit(h, requester));
    lease(h, agentId);
    h.ok({ type: 'failJob', agentId, jobId: order[0], reason: 'oom' });
    const restored = new StateHarness();
    restored.machine.restore(h.machine.snapshot());
    restored.index = h.index;
    const drain = (harness: StateHarness) =>
      Array.from({ length: 7 }, () => harness.ok<Job | null>({ type: 'leaseJob', agentId, leaseMs: 1000 }, { clientId: 'drain' })?.id ?? null);
    const served = drain(h);
    expect(drain(restored)).toEqual(served);
    expect(served).toEqual([order[1], order[2], order[4], order[3], order[5], order[0], null]);
  });
});
