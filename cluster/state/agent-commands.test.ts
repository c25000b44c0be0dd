import { describe, expect, it } from 'vitest';
import { StateHarness, tokenHashOf } from './test-harness.ts';
import { STATE_LIMITS } from './limits.ts';
import type { AgentView, Job } from './types.ts';

const create = (name: string, token = `token-${name}`) => ({ type: 'createAgent', name, owner: 'alice', tokenHash: tokenHashOf(token) });

describe('createAgent', () => {
  it('registers an active agent with an id derived from the entry, showing only a fingerprint of the token hash', () => {
    const h = new StateHarness();
    const agent = h.ok<AgentView>(create('gpu-box'));
    expect(agent).toEqual({
      id: expect.stringMatching(/^a-[0-9a-f]{8}$/),
      name: 'gpu-box',
      owner: 'alice',
      tokenFingerprint: tokenHashOf('token-gpu-box').slice(0, 8),
      capabilities: null,
      lastHeartbeat: null,
      status: 'active',
      pausedReason: null,
      recentFailures: [],
      createdAt: h.now,
    });
    // The same entry index gives the same id on another replica; a different index gives another id.
    const other = new StateHarness();
    expect(other.ok<AgentView>(create('gpu-box')).id).toBe(agent.id);
    expect(h.ok<AgentView>(create('second')).id).not.toBe(agent.id);
    const listed = JSON.stringify(h.query({ type: 'listAgents' }));
    expect(listed).not.toContain(tokenHashOf('token-gpu-box'));
    expect(JSON.stringify(h.query({ type: 'getAgent', agentId: agent.id }))).not.toContain(tokenHashOf('token-gpu-box'));
  });

  it('refuses a name already used by an agent that is not revoked, ignoring case, and says how to fix it', () => {
    const h = new StateHarness();
    const first = h.ok<AgentView>(create('gpu-box'));
    const refusal = h.refused(create('GPU-Box', 'another-token'));
    expect(refusal.code).toBe('already_exists');
    expect(refusal.message).toBe(`an agent named "gpu-box" already exists (${first.id}); choose another --name or revoke it first`);
    h.ok({ type: 'revokeAgent', agentId: first.id });
    const again = h.ok<AgentView>(create('gpu-box', 'another-token'));
    expect(again.id).not.toBe(first.id);
    const agents = h.query<{ agents: AgentView[] }>({ type: 'listAgents' }).agents;
    expect(agents.map((a) => [a.name, a.status])).toEqual([
      ['gpu-box', 'revoked'],
      ['gpu-box', 'active'],
    ]);
  });

  it('refuses a token that is already registered to a live agent', () => {
    const h = new StateHarness();
    const first = h.ok<AgentView>(create('one', 'shared'));
    expect(h.refused(create('two', 'shared'))).toEqual({
      code: 'already_exists',
      message: `this token is already registered to agent ${first.id}; generate a new token for "two"`,
    });
  });

  it('lets a server find the live agent a token belongs to', () => {
    const h = new StateHarness();
    const agent = h.ok<AgentView>(create('box', 'secret'));
    expect(h.query({ type: 'findAgentByTokenHash', tokenHash: tokenHashOf('secret') })).toMatchObject({ id: agent.id });
    h.ok({ type: 'revokeAgent', agentId: agent.id });
    expect(h.query({ type: 'findAgentByTokenHash', tokenHash: tokenHashOf('secret') })).toBeNull();
  });
});

describe('revokeAgent', () => {
  it('revokes an agent once; unknown ids and repeats are refused', () => {
    const h = new StateHarness();
    const id = h.agent('box');
    expect(h.ok<AgentView>({ type: 'revokeAgent', agentId: id }).status).toBe('revoked');
    expect(h.refused({ type: 'revokeAgent', agentId: id })).toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/already revoked/) });
    expect(h.refused({ type: 'revokeAgent', agentId: 'a-00000000' })).toMatchObject({ code: 'not_found', message: expect.stringMatching(/teambooth agents list/) });
  });

  it('puts the jobs a revoked agent held back in the queue with the reason', () => {
    const h = new StateHarness();
    const id = h.agent('box');
    h.agent('spare');
    const job = h.ok<{ id: string }>({ type: 'submitJob', kind: 'imagine', params: {}, requester: 'u' });
    h.ok({ type: 'leaseJob', agentId: id, leaseMs: 60_000 });
    h.ok({ type: 'revokeAgent', agentId: id });
    expect(h.query({ type: 'getJob', jobId: job.id })).toMatchObject({
      state: 'queued',
      leaseHolder: null,
      errors: [{ attempt: 1, agentId: id, message: expect.stringMatching(/was revoked/) }],
    });
    // Losing a job to a revocation is not the agent's failure.
    expect(h.query({ type: 'getAgent', agentId: id })).toMatchObject({ recentFailures: [] });
  });

  it('fails for good the queued jobs that no remaining agent can run', () => {
    const h = new StateHarness();
    const trainer = h.agent('trainer', { canTrain: true, maxImageSize: 1024 });
    h.agent('viewer');
    const train = h.ok<Job>({ type: 'submitJob', kind: 'train', params: { token: 'zxq', classWord: 'dog' }, requester: 'u' });
    const big = h.ok<Job>({ type: 'submitJob', kind: 'imagine', params: { width: 1024 }, requester: 'u' });
    const small = h.ok<Job>({ type: 'submitJob', kind: 'imagine', params: { width: 512 }, requester: 'u' });
    h.ok({ type: 'leaseJob', agentId: trainer, leaseMs: 60_000, jobId: train.id });
    h.ok({ type: 'revokeAgent', agentId: trainer });
    expect(h.query<Job>({ type: 'getJob', jobId: train.id })).toMatchObject({
      state: 'failed',
      finishedAt: h.now,
      errors: [
        { attempt: 1, agentId: trainer, message: `agent ${trainer} ("trainer") was revoked while holding the job` },
        {
          attempt: 1,
          agentId: null,
          message:
            `agent ${trainer} ("trainer") was revoked and no registered agent can run this job any more: it needs an agent that can train, ` +
            'and the only registered agent (viewer) cannot; ask an admin to register one, see `teambooth agents token create`',
        },
      ],
    });
    expect(h.query<Job>({ type: 'getJob', jobId: big.id })).toMatchObject({
      state: 'failed',
      attempts: 0,
      errors: [{ attempt: 0, message: expect.stringMatching(/it asks for 1024-pixel images, and the largest that the only registered agent \(viewer\) can make is 512 pixels/) }],
    });
    expect(h.query<Job>({ type: 'getJob', jobId: small.id }).state).toBe('queued');
    expect(h.query({ type: 'summary' })).toMatchObject({ jobs: { queued: 1, failed: 2 } });
  });
});

describe('agentHeartbeat and setAgentStatus', () => {
  it('records the heartbeat time and capabilities', () => {
    const h = new StateHarness();
    const id = h.agent('box');
    h.now += 5000;
    const capabilities = { provider: 'cuda', memoryMb: 24_576, maxImageSize: 1024, canTrain: true };
    expect(h.ok<AgentView>({ type: 'agentHeartbeat', agentId: id, capabilities })).toMatchObject({ lastHeartbeat: h.now, capabilities });
    h.now += 5000;
    // A heartbeat without capabilities keeps the last reported ones.
    expect(h.ok<AgentView>({ type: 'agentHeartbeat', agentId: id })).toMatchObject({ lastHeartbeat: h.now, capabilities });
  });

  it('refuses heartbeats from revoked agents and malformed capabilities', () => {
    const h = new StateHarness();
    const id = h.agent('box');
    expect(h.refused({ type: 'agentHeartbeat', agentId: id, capabilities: { provider: 'cuda', memoryMb: -1, maxImageSize: 512, canTrain: 'yes' } })).toMatchObject({
      code: 'invalid',
      message: expect.stringMatching(/capabilities\.memoryMb: .*capabilities\.canTrain: must be true or false/),
    });
    h.ok({ type: 'revokeAgent', agentId: id });
    expect(h.refused({ type: 'agentHeartbeat', agentId: id })).toMatchObject({ code: 'permission_denied', message: expect.stringMatching(/new token/) });
  });

  it('pauses and resumes an agent, but cannot revive a revoked one', () => {
    const h = new StateHarness();
    const id = h.agent('box');
    expect(h.ok<AgentView>({ type: 'setAgentStatus', agentId: id, status: 'paused' }).status).toBe('paused');
    expect(h.ok<AgentView>({ type: 'setAgentStatus', agentId: id, status: 'active' }).status).toBe('active');
    expect(h.refused({ type: 'setAgentStatus', agentId: id, status: 'revoked' })).toMatchObject({ code: 'invalid', message: expect.stringMatching(/use revokeAgent/) });
    h.ok({ type: 'revokeAgent', agentId: id });
    expect(h.refused({ type: 'setAgentStatus', agentId: id, status: 'active' }).code).toBe('permission_denied');
  });
});

describe('agent failure accounting', () => {
  /** Leases the next job to `agentId` and fails it; returns the job id. */
  function failOne(h: StateHarness, agentId: string, reason: string): string {
    const job = h.ok<Job>({ type: 'leaseJob', agentId, leaseMs: 60_000 });
    h.ok({ type: 'failJob', agentId, jobId: job.id, reason });
    return job.id;
  }

  it(`pauses an agent after ${STATE_LIMITS.agentFailuresToPause} failed attempts within an hour, saying why`, () => {
    const h = new StateHarness();
    const agentId = h.agent('flaky');
    h.agent('spare');
    for (let i = 0; i < 5; i++) h.ok({ type: 'submitJob', kind: 'imagine', params: { i }, requester: `u${i}` });
    const times: number[] = [];
    for (let i = 1; i <= 4; i++) {
      h.now += 60_000;
      times.push(h.now);
      failOne(h, agentId, `CUDA error ${i}`);
    }
    expect(h.query<AgentView>({ type: 'getAgent', agentId })).toMatchObject({ status: 'active', recentFailures: times, pausedReason: null });
    // An expired lease counts too.
    h.ok({ type: 'leaseJob', agentId, leaseMs: 1000 });
    h.now += 1000;
    h.ok({ type: 'expireLeases', now: h.now });
    const paused = h.query<AgentView>({ type: 'getAgent', agentId });
    const reason = `paused automatically: 5 failed jobs in the last hour; last: lease expired: agent ${agentId} did not finish the job before its lease ran out`;
    expect(paused).toMatchObject({ status: 'paused', pausedReason: reason, recentFailures: [...times, h.now] });
    expect(h.query<{ agents: AgentView[] }>({ type: 'listAgents', status: 'paused' }).agents).toMatchObject([{ id: agentId, pausedReason: reason }]);
    expect(h.refused({ type: 'leaseJob', agentId, leaseMs: 1000 })).toEqual({
      code: 'failed_precondition',
      message: `agent ${agentId} ("flaky") is paused (${reason}); set its status to active before it takes jobs`,
    });
    // Resuming clears the reason and the count.
    expect(h.ok<AgentView>({ type: 'setAgentStatus', agentId, status: 'active' })).toMatchObject({ status: 'active', pausedReason: null, recentFailures: [] });
  });

  it('forgets failures older than an hour', () => {
    const h = new StateHarness();
    const agentId = h.agent('flaky');
    for (let i = 0; i < 5; i++) h.ok({ type: 'submitJob', kind: 'imagine', params: { i }, requester: `u${i}` });
    for (let i = 0; i < 4; i++) failOne(h, agentId, 'oom');
    h.now += STATE_LIMITS.agentFailureWindowMs;
    failOne(h, agentId, 'oom');
    expect(h.query<AgentView>({ type: 'getAgent', agentId })).toMatchObject({ status: 'active', recentFailures: [h.now] });
  });

  it('keeps a pause set by hand without a reason, and counts failures of a paused agent without changing it', () => {
    const h = new StateHarness();
    const agentId = h.agent('box');
    for (let i = 0; i < 5; i++) h.ok({ type: 'submitJob', kind: 'imagine', params: { i }, requester: `u${i}` });
    const jobs = [0, 1, 2, 3, 4].map(() => h.ok<Job>({ type: 'leaseJob', agentId, leaseMs: 60_000 }).id);
    h.ok({ type: 'setAgentStatus', agentId, status: 'paused' });
    for (const jobId of jobs) h.ok({ type: 'failJob', agentId, jobId, reason: 'oom' });
    expect(h.query<AgentView>({ type: 'getAgent', agentId })).toMatchObject({ status: 'paused', pausedReason: null, recentFailures: [h.now, h.now, h.now, h.now, h.now] });
  });
});
