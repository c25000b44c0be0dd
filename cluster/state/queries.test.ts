import { describe, expect, it } from 'vitest';
import { CommandRejectedError } from '../raft/errors.ts';
import { AGENT_ONLINE_WINDOW_MS } from './agent-online.ts';
import { parseCommand } from './commands.ts';
import { StateHarness } from './test-harness.ts';
import type { Job } from './types.ts';

function rejection(run: () => unknown): CommandRejectedError {
  try {
    run();
  } catch (error) {
    if (error instanceof CommandRejectedError) return error;
    throw error;
  }
  throw new Error('expected a CommandRejectedError');
}

describe('StateMachine.query', () => {
  it('refuses bad queries with a message that says what to fix', () => {
    const h = new StateHarness();
    expect(rejection(() => h.query({ type: 'listAgent' })).message).toMatch(/type is "listAgent"; expected one of listAgents, getAgent/);
    expect(rejection(() => h.query('summary')).message).toMatch(/expected a JSON object with a "type" field/);
    const typo = rejection(() => h.query({ type: 'listJobs', stat: 'queued' }));
    expect(typo.code).toBe('invalid');
    expect(typo.message).toBe('invalid listJobs query: unknown field "stat" (remove it or check the spelling)');
    expect(rejection(() => h.query({ type: 'listJobs', state: 'done' })).message).toMatch(/state: must be one of queued, leased/);
    expect(rejection(() => h.query({ type: 'getJob' })).message).toBe('invalid getJob query: jobId: is required');
  });

  it('reports a missing record as not_found', () => {
    const h = new StateHarness();
    expect(rejection(() => h.query({ type: 'getJob', jobId: 'j-5' })).code).toBe('not_found');
    expect(rejection(() => h.query({ type: 'getAgent', agentId: 'a-12345678' })).code).toBe('not_found');
    expect(rejection(() => h.query({ type: 'getSubject', token: 'zxq' })).code).toBe('not_found');
    expect(h.query({ type: 'currentModel' })).toBeNull();
  });

  it('filters jobs by state, kind and requester, and limits to the most recent', () => {
    const h = new StateHarness();
    const agentId = h.agent('box', { canTrain: true });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(h.ok<Job>({ type: 'submitJob', kind: i % 2 ? 'train' : 'imagine', params: { i, token: `tok${i}`, classWord: 'dog' }, requester: i < 3 ? 'u1' : 'u2' }).id);
    h.ok({ type: 'leaseJob', agentId, leaseMs: 1000 });
    const list = (q: Record<string, unknown>) => h.query<{ jobs: Job[] }>({ type: 'listJobs', ...q }).jobs.map((j) => j.id);
    expect(list({})).toEqual(ids);
    expect(list({ state: 'leased' })).toEqual([ids[0]]);
    expect(list({ kind: 'train' })).toEqual([ids[1], ids[3]]);
    expect(list({ requester: 'u2', state: 'queued' })).toEqual([ids[3], ids[4]]);
    expect(list({ limit: 2 })).toEqual([ids[3], ids[4]]);
  });

  it('summarises counts and the current version', () => {
    const h = new StateHarness();
    const agentId = h.agent('box');
    h.agent('spare');
    h.ok({ type: 'revokeAgent', agentId });
    h.ok({ type: 'registerModelVersion', parent: null, manifestKey: 'm', subjects: [], mergeMethod: 'none' });
    h.ok({ type: 'reserveSubject', token: 'zxq', classWord: 'dog', owner: 'u' });
    h.ok({ type: 'submitJob', kind: 'imagine', params: {}, requester: 'u' });
    h.ok({ type: 'put', key: 'k', value: 1 });
    expect(h.query({ type: 'summary' })).toEqual({
      appliedIndex: h.index,
      currentVersion: 'v1',
      modelVersions: 1,
      agents: { active: 1, paused: 0, revoked: 1 },
      subjects: { reserved: 1, training: 0, merged: 0, failed: 0, retired: 0 },
      jobs: { queued: 1, leased: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 },
      kvKeys: 1,
      sessions: 1,
      durations: { imagine: { count: 0, meanMs: 0 }, train: { count: 0, meanMs: 0 }, merge: { count: 0, meanMs: 0 } },
    });
    expect(h.query({ type: 'listSubjects', owner: 'u' })).toMatchObject({ subjects: [{ token: 'zxq' }] });
    expect(h.query({ type: 'listAgents', status: 'revoked' })).toMatchObject({ agents: [{ id: agentId }] });
  });

  it('counts jobs, agents, the queue and the agents online for the metrics', () => {
    const h = new StateHarness();
    const revoked = h.agent('box');
    h.agent('spare');
    h.agent('silent', null);
    h.ok({ type: 'revokeAgent', agentId: revoked });
    h.ok({ type: 'submitJob', kind: 'imagine', params: {}, requester: 'u' });
    h.ok({ type: 'submitJob', kind: 'imagine', params: {}, requester: 'v' });
    const counts = {
      jobs: { queued: 2, leased: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 },
      agents: { active: 2, paused: 0, revoked: 1 },
      queued: 2,
    };
    expect(h.query({ type: 'metrics', now: h.now + 1_000 })).toEqual({ ...counts, online: 1 });
    expect(h.query({ type: 'metrics', now: h.now + AGENT_ONLINE_WINDOW_MS })).toEqual({ ...counts, online: 0 });
  });
});

describe('key-value commands', () => {
  it('put returns the previous value; get and kvGet read the current one', () => {
    const h = new StateHarness();
    expect(h.ok({ type: 'get', key: 'x' })).toEqual({ value: null });
    expect(h.ok({ type: 'put', key: 'x', value: { n: 1 } })).toEqual({ previous: null });
    expect(h.ok({ type: 'put', key: 'x', value: 'two' })).toEqual({ previous: { n: 1 } });
    expect(h.ok({ type: 'get', key: 'x' })).toEqual({ value: 'two' });
    expect(h.query({ type: 'kvGet', key: 'x' })).toEqual({ value: 'two' });
    expect(h.refused({ type: 'put', key: 'x' })).toMatchObject({ code: 'invalid', message: 'invalid put command: value: is required (any JSON value)' });
    expect(h.refused({ type: 'put', key: '', value: 1 })).toMatchObject({ message: 'invalid put command: key: must not be empty' });
  });
});

describe('parseCommand', () => {
  it('throws CommandRejectedError naming unknown fields and the valid command types', () => {
    expect(() => parseCommand({ type: 'createAgent', name: 'box', owner: 'o', tokenhash: 'x' })).toThrow(
      /invalid createAgent command: tokenHash: is required; unknown field "tokenhash" \(remove it or check the spelling\)/,
    );
    expect(() => parseCommand({ name: 'box' })).toThrow(/type is missing; expected one of createAgent/);
    expect(parseCommand({ type: 'get', key: 'k' })).toEqual({ type: 'get', key: 'k' });
  });
});

describe('jobQueuePosition', () => {
  const submit = (h: StateHarness, requester: string, params: Record<string, unknown> = {}) =>
    h.ok<Job>({ type: 'submitJob', kind: 'imagine', params, requester }).id;

  it('gives each queued job its place in the fair order, which is the order busy agents lease them in', () => {
    const h = new StateHarness();
    const agentId = h.agent('box');
    const jobs = ['alice', 'alice', 'alice', 'bob', 'bob', 'carol'].map((requester) => submit(h, requester));
    const position = (jobId: string) => h.query<{ position: number; ahead: number }>({ type: 'jobQueuePosition', jobId });
    const [a1, a2, a3, b1, b2, c1] = jobs as [string, string, string, string, string, string];
    const fairOrder = [a1, b1, c1, a2, b2, a3];
    expect(jobs.map((id) => position(id).position)).toEqual(jobs.map((id) => fairOrder.indexOf(id) + 1));
    expect(position(b2)).toMatchObject({ position: 5, ahead: 4 });
    const leased = fairOrder.map(() => h.ok<Job>({ type: 'leaseJob', agentId, leaseMs: 60_000 }).id);
    expect(leased).toEqual(fairOrder);
  });

  it('puts a requester with fewer active jobs first in each round', () => {
    const h = new StateHarness();
    const agentId = h.agent('box');
    const a1 = submit(h, 'alice');
    const a2 = submit(h, 'alice');
    const b1 = submit(h, 'bob');
    h.ok({ type: 'leaseJob', agentId, leaseMs: 60_000 });
    // alice has a job running, so bob's later job is served before her next one.
    expect(h.query({ type: 'jobQueuePosition', jobId: b1 })).toMatchObject({ position: 1 });
    expect(h.query({ type: 'jobQueuePosition', jobId: a2 })).toMatchObject({ position: 2 });
    expect(h.query({ type: 'jobQueuePosition', jobId: a1 })).toMatchObject({ state: 'leased', position: 0, ahead: 0, estimatedWaitMs: 0 });
  });

  it('estimates the wait from the mean duration of the kind and the active agents that can run the job', () => {
    const h = new StateHarness();
    const one = h.agent('one', { maxImageSize: 1024 });
    const two = h.agent('two', { maxImageSize: 1024 });
    const paused = h.agent('paused', { maxImageSize: 1024 });
    h.agent('small', { maxImageSize: 256 });
    h.ok({ type: 'setAgentStatus', agentId: paused, status: 'paused' });
    const first = submit(h, 'alice');
    const queued = ['bob', 'carol', 'dave'].map((requester) => submit(h, requester, { width: 512 }));
    const last = queued[2] as string;
    expect(h.query({ type: 'jobQueuePosition', jobId: last })).toEqual({ jobId: last, state: 'queued', position: 4, ahead: 3, capableAgents: 2, estimatedWaitMs: null });
    // One imagine job that ran for 10 s: leased, started a second later, finished 10 s after that.
    h.ok({ type: 'leaseJob', agentId: one, leaseMs: 60_000, jobId: first });
    h.now += 1000;
    h.ok({ type: 'startJob', agentId: one, jobId: first });
    h.now += 10_000;
    h.ok({ type: 'completeJob', agentId: one, jobId: first, result: {} });
    expect(h.query({ type: 'summary' })).toMatchObject({ durations: { imagine: { count: 1, meanMs: 10_000 } } });
    // Position 3 over two agents: two rounds of 10 s.
    expect(h.query({ type: 'jobQueuePosition', jobId: last })).toMatchObject({ position: 3, capableAgents: 2, estimatedWaitMs: 20_000 });
    // A job without startJob is timed from its lease; the mean of 10 s and 4 s is 7 s.
    const leased = h.ok<Job>({ type: 'leaseJob', agentId: two, leaseMs: 60_000 });
    h.now += 4000;
    h.ok({ type: 'completeJob', agentId: two, jobId: leased.id, result: {} });
    expect(h.query({ type: 'jobQueuePosition', jobId: last })).toMatchObject({ position: 2, estimatedWaitMs: 7000 });
    h.ok({ type: 'cancelJob', jobId: last });
    expect(h.query({ type: 'jobQueuePosition', jobId: last })).toMatchObject({ state: 'cancelled', position: 0, estimatedWaitMs: null });
    h.ok({ type: 'setAgentStatus', agentId: one, status: 'paused' });
    h.ok({ type: 'setAgentStatus', agentId: two, status: 'paused' });
    const waiting = queued[1] as string;
    expect(h.query({ type: 'jobQueuePosition', jobId: waiting })).toMatchObject({ capableAgents: 0, estimatedWaitMs: null });
    expect(rejection(() => h.query({ type: 'jobQueuePosition', jobId: 'j-999' })).code).toBe('not_found');
  });

  it('shows the new job fields in getJob and listJobs', () => {
    const h = new StateHarness();
    const agentId = h.agent('box');
    const jobId = submit(h, 'alice');
    h.ok({ type: 'leaseJob', agentId, leaseMs: 1000 });
    h.ok({ type: 'reportProgress', agentId, jobId, leaseMs: 1000, progress: { step: 2, total: 20, phase: 'denoising' } });
    const progress = { step: 2, total: 20, loss: null, phase: 'denoising', at: h.now };
    expect(h.query({ type: 'getJob', jobId })).toMatchObject({ state: 'running', leasedAt: h.now, startedAt: h.now, finishedAt: null, progress });
    expect(h.query({ type: 'listJobs', state: 'running' })).toMatchObject({ jobs: [{ id: jobId, progress }] });
  });
});
