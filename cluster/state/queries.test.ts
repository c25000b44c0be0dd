import { describe, expect, it } from 'vitest';
import { CommandRejectedError } from '../raft/errors.ts';
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
    for (let i = 0; i < 5; i++) ids.push(h.ok<Job>({ type: 'submitJob', kind: i % 2 ? 'train' : 'imagine', params: { i }, requester: i < 3 ? 'u1' : 'u2' }).id);
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
      subjects: { reserved: 1, training: 0, merged: 0, failed: 0 },
      jobs: { queued: 1, leased: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 },
      kvKeys: 1,
      sessions: 1,
    });
    expect(h.query({ type: 'listSubjects', owner: 'u' })).toMatchObject({ subjects: [{ token: 'zxq' }] });
    expect(h.query({ type: 'listAgents', status: 'revoked' })).toMatchObject({ agents: [{ id: agentId }] });
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
