import { describe, expect, it } from 'vitest';
import { StateHarness, tokenHashOf } from './test-harness.ts';
import type { AgentView } from './types.ts';

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
    const job = h.ok<{ id: string }>({ type: 'submitJob', kind: 'imagine', params: {}, requester: 'u' });
    h.ok({ type: 'leaseJob', agentId: id, leaseMs: 60_000 });
    h.ok({ type: 'revokeAgent', agentId: id });
    expect(h.query({ type: 'getJob', jobId: job.id })).toMatchObject({
      state: 'queued',
      leaseHolder: null,
      errors: [{ attempt: 1, agentId: id, message: expect.stringMatching(/was revoked/) }],
    });
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
