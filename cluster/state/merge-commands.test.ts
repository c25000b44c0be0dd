import { describe, expect, it } from 'vitest';
import { StateMachine } from './state-machine.ts';
import { StateHarness } from './test-harness.ts';
import type { Job, MergeSettings, ModelVersion, Subject } from './types.ts';

const base = { type: 'registerModelVersion', parent: null, manifestKey: 'models/v1/base.json', subjects: [], mergeMethod: 'none' };
const train = (token: string, requester = 'alice') => ({ type: 'submitJob', kind: 'train', params: { token, classWord: 'dog', uploadId: 'u-0123456789abcdef' }, requester });

/** A cluster with a base version and an agent that trains; `trainAndFinish` runs a train job to success. */
function cluster(method: 'sum' | 'orthogonal' = 'orthogonal') {
  const h = new StateHarness();
  h.ok(base);
  h.ok({ type: 'setMergeSettings', method });
  const agentId = h.agent('trainer', { canTrain: true });
  const trainAndFinish = (token: string, requester = 'alice'): { job: Job; mergeJobId: string } => {
    const job = h.ok<Job>(train(token, requester));
    h.ok({ type: 'leaseJob', agentId, leaseMs: 60_000, jobId: job.id });
    const done = h.ok<Job>({ type: 'completeJob', agentId, jobId: job.id, result: { outputs: [{ name: 'lora.safetensors', key: `loras/${token}/${job.id}.safetensors` }] } });
    return { job, mergeJobId: done.result!.mergeJobId as string };
  };
  const commit = (jobId: string, parent: string, version: string, subjects: string[] = []) =>
    ({ type: 'commitMerge', jobId, version, parent, manifestKey: `models/${version}/m.json`, subjects, changedTensors: 3, changedBytes: 1024, mergeMs: 12 });
  return { h, agentId, trainAndFinish, commit };
}

describe('train jobs and the subject registry', () => {
  it('reserves the token with the next free orthogonal slot, and refuses a token already taken', () => {
    const { h } = cluster();
    const first = h.ok<Job>(train('zxq'));
    expect(first).toMatchObject({ modelVersion: 'v1', basis: { seed: expect.any(Number), slot: 0 } });
    expect(h.ok<Job>(train('kpl', 'bob')).basis?.slot).toBe(1);
    expect(h.query<Subject>({ type: 'getSubject', token: 'zxq' })).toMatchObject({ status: 'training', owner: 'alice', slot: 0, trainJobId: first.id });
    expect(h.refused(train('zxq', 'bob'))).toEqual({
      code: 'already_exists',
      message: 'the token "zxq" is already taken (owner alice, training); choose another token',
    });
    expect(h.refused({ type: 'submitJob', kind: 'train', params: { token: 'Bad Token' }, requester: 'alice' }).message).toMatch(/params\.token \(e\.g\. zxq\) and params\.classWord/);
  });

  it('gives the token and slot back when training fails for good, so the owner can retry', () => {
    const { h, agentId } = cluster();
    const job = h.ok<Job>(train('zxq'));
    h.ok({ type: 'leaseJob', agentId, leaseMs: 1000, jobId: job.id });
    h.ok({ type: 'failJob', agentId, jobId: job.id, reason: 'the photos are blank', final: true });
    expect(h.query<Subject>({ type: 'getSubject', token: 'zxq' })).toMatchObject({ status: 'failed', slot: null });
    expect(h.refused(train('zxq', 'bob')).code).toBe('already_exists');
    expect(h.ok<Job>(train('zxq')).basis?.slot).toBe(0);
  });

  it('uses no slots with the sum method, which a new cluster starts with', () => {
    expect(new StateHarness().query<MergeSettings>({ type: 'mergeSettings' }).method).toBe('sum');
    const { h } = cluster('sum');
    expect(h.ok<Job>(train('zxq')).basis).toBeNull();
  });
});

describe('merge jobs', () => {
  it('queues a merge for the leader when a train job succeeds; agents never lease it', () => {
    const { h, agentId, trainAndFinish } = cluster();
    const { mergeJobId } = trainAndFinish('zxq');
    expect(h.query<Job>({ type: 'getJob', jobId: mergeJobId })).toMatchObject({
      kind: 'merge',
      state: 'queued',
      params: { operation: 'merge', token: 'zxq', loraKey: expect.stringMatching(/^loras\/zxq\//) },
    });
    expect(h.run({ type: 'leaseJob', agentId, leaseMs: 1000 })).toEqual({ ok: true, value: null });
    expect(h.query<{ merges: Job[] }>({ type: 'pendingMerges' }).merges.map((j) => j.id)).toEqual([mergeJobId]);
  });

  it('commits exactly one version per merge, onto the version it was computed from', () => {
    const { h, trainAndFinish, commit } = cluster();
    const { mergeJobId } = trainAndFinish('zxq');
    expect(h.ok<Job>({ type: 'startMerge', jobId: mergeJobId, nodeId: 'n1' })).toMatchObject({ state: 'running', attempts: 1 });
    // A new leader starts it again after the first one died.
    expect(h.ok<Job>({ type: 'startMerge', jobId: mergeJobId, nodeId: 'n2' })).toMatchObject({ state: 'running', attempts: 2, progress: { phase: 'merging on n2' } });
    expect(h.refused(commit(mergeJobId, 'v1', 'v3')).message).toBe('the next version is v2, not v3; run the merge again');
    const version = h.ok<ModelVersion>(commit(mergeJobId, 'v1', 'v2'));
    expect(version).toMatchObject({ id: 'v2', parent: 'v1', subjects: ['zxq'], mergeMethod: 'orthogonal', slots: { zxq: 0 }, mergeJobId });
    expect(h.refused(commit(mergeJobId, 'v2', 'v3')).message).toBe(`merge ${mergeJobId} has already succeeded; nothing to do`);
    expect(h.query({ type: 'getJob', jobId: mergeJobId })).toMatchObject({ state: 'succeeded', modelVersion: 'v2', result: { version: 'v2', changedTensors: 3 } });
    expect(h.query({ type: 'getSubject', token: 'zxq' })).toMatchObject({ status: 'merged', versionId: 'v2' });
    expect(h.query<{ merges: Job[] }>({ type: 'pendingMerges' }).merges).toEqual([]);
  });

  it('refuses a merge computed onto a version that is no longer current; later jobs run on the new version', () => {
    const { h, trainAndFinish, commit } = cluster();
    const a = trainAndFinish('zxq');
    const b = trainAndFinish('kpl');
    h.ok(commit(a.mergeJobId, 'v1', 'v2'));
    expect(h.refused(commit(b.mergeJobId, 'v1', 'v3'))).toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/computed onto v1, but the current version is v2/) });
    expect(h.ok<ModelVersion>(commit(b.mergeJobId, 'v2', 'v3')).subjects).toEqual(['zxq', 'kpl']);
    expect(h.ok<Job>({ type: 'submitJob', kind: 'imagine', params: { prompt: 'zxq dog' }, requester: 'carol' }).modelVersion).toBe('v3');
  });

  it('fails the subject when its merge fails', () => {
    const { h, trainAndFinish } = cluster();
    const { mergeJobId } = trainAndFinish('zxq');
    expect(h.ok<Job>({ type: 'failMerge', jobId: mergeJobId, reason: 'LoRA layer x does not match' })).toMatchObject({ state: 'failed', errors: [{ message: 'LoRA layer x does not match' }] });
    expect(h.query({ type: 'getSubject', token: 'zxq' })).toMatchObject({ status: 'failed', slot: null });
  });

  it('keeps the last N subjects: a version with more queues a rebuild, which retires the oldest and frees its slot', () => {
    const { h, trainAndFinish, commit } = cluster();
    h.ok({ type: 'setMergeSettings', keepLastSubjects: 2 });
    for (const [i, token] of ['aa', 'bb'].entries()) h.ok(commit(trainAndFinish(token).mergeJobId, `v${i + 1}`, `v${i + 2}`));
    expect(h.query<{ merges: Job[] }>({ type: 'pendingMerges' }).merges).toEqual([]);
    h.ok(commit(trainAndFinish('cc').mergeJobId, 'v3', 'v4'));
    const [rebuild] = h.query<{ merges: Job[] }>({ type: 'pendingMerges' }).merges;
    expect(rebuild).toMatchObject({ kind: 'merge', requester: 'cluster', params: { operation: 'rebuild', keepLast: 2 } });
    expect(h.refused(commit(rebuild!.id, 'v4', 'v5', ['cc', 'zz'])).message).toMatch(/zz is not in it/);
    expect(h.ok<ModelVersion>(commit(rebuild!.id, 'v4', 'v5', ['bb', 'cc']))).toMatchObject({ subjects: ['bb', 'cc'], slots: { bb: 1, cc: 2 } });
    expect(h.query({ type: 'getSubject', token: 'aa' })).toMatchObject({ status: 'retired', slot: null });
    expect(h.ok<Job>(train('dd')).basis?.slot).toBe(0);
  });

  it('holds merges while paused, and survives a snapshot with its pending merges', () => {
    const { h, trainAndFinish } = cluster();
    h.ok({ type: 'setMergeSettings', paused: true });
    const { mergeJobId } = trainAndFinish('zxq');
    const restored = new StateMachine();
    restored.restore(h.machine.snapshot());
    expect(restored.query({ type: 'pendingMerges' })).toMatchObject({ merges: [{ id: mergeJobId }], settings: { paused: true, method: 'orthogonal' } });
    expect(restored.snapshot()).toEqual(h.machine.snapshot());
  });

  it('reads a snapshot of layout 2 (before merges were tracked): the new fields take their empty values', () => {
    const { h } = cluster();
    h.ok(train('zxq'));
    const current = JSON.parse(new TextDecoder().decode(h.machine.snapshot())) as Record<string, unknown> & { jobs: Record<string, unknown>[]; subjects: Record<string, unknown>[]; versions: Record<string, unknown>[] };
    const old = {
      ...current,
      version: 2,
      mergeSettings: undefined,
      jobs: current.jobs.map(({ modelVersion: _m, basis: _b, ...job }) => job),
      subjects: current.subjects.map(({ slot: _s, trainJobId: _t, loraKey: _l, ...subject }) => subject),
      versions: current.versions.map(({ slots: _s, mergeJobId: _m, ...version }) => version),
    };
    const restored = new StateMachine();
    restored.restore(new TextEncoder().encode(JSON.stringify(old)));
    expect(restored.query({ type: 'getSubject', token: 'zxq' })).toMatchObject({ status: 'training', slot: null, trainJobId: null });
    expect(restored.query({ type: 'mergeSettings' })).toMatchObject({ method: 'sum', keepLastSubjects: null, paused: false });
    expect(restored.query({ type: 'currentModel' })).toMatchObject({ id: 'v1', slots: {}, mergeJobId: null });
  });
});
