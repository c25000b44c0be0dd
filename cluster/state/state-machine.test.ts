import { afterEach, describe, expect, it, vi } from 'vitest';
import { StorageError } from '../raft/errors.ts';
import { STATE_LIMITS } from './limits.ts';
import { encodeProposal, StateMachine } from './state-machine.ts';
import { StateHarness, tokenHashOf } from './test-harness.ts';

/** Seeded PRNG (mulberry32) so every run generates the same workload. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A mixed workload of mostly valid commands over every command type, as encoded log entries. */
function workload(seed: number, count: number): Uint8Array[] {
  const random = seeded(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const agentIds: string[] = [];
  const jobIds: string[] = [];
  const leases: [string, string][] = [];
  /** Mostly a recent real (agent, job) lease; sometimes any pair, to exercise refusals. */
  const holder = (): [string, string] => (leases.length && random() < 0.8 ? pick(leases.slice(-4)) : [pick(agentIds), pick(jobIds)]);
  const tokens = ['zxq', 'abc', 'dog-1', 'logo_2'];
  const shadow = new StateMachine();
  const entries: Uint8Array[] = [];
  const seqs = new Map<string, number>();
  let at = 1_700_000_000_000;
  for (let i = 1; i <= count; i++) {
    at += Math.floor(random() * 5000);
    const roll = random();
    let command: Record<string, unknown>;
    if (roll < 0.05) command = { type: 'createAgent', name: `agent-${Math.floor(random() * 12)}`, owner: 'o', tokenHash: tokenHashOf(`t${i}`) };
    else if (roll < 0.12 && agentIds.length) command = { type: 'agentHeartbeat', agentId: pick(agentIds), capabilities: { provider: 'cuda', memoryMb: 24000, maxImageSize: pick([512, 1024]), canTrain: random() < 0.5 } };
    else if (roll < 0.13 && agentIds.length) command = { type: 'revokeAgent', agentId: pick(agentIds) };
    else if (roll < 0.16 && agentIds.length) command = { type: 'setAgentStatus', agentId: pick(agentIds), status: pick(['active', 'active', 'paused']) };
    else if (roll < 0.4) command = { type: 'submitJob', kind: pick(['imagine', 'imagine', 'train', 'merge']), params: { zeta: i, alpha: 'a photo', nested: { y: 1, b: [2, 1] }, width: pick([256, 768, 'wide']) }, requester: pick(['u1', 'u2', 'u3']), idempotencyKey: random() < 0.3 ? `k${Math.floor(random() * 20)}` : undefined };
    else if (roll < 0.55 && agentIds.length) command = { type: 'leaseJob', agentId: pick(agentIds), leaseMs: 10_000 };
    else if (roll < 0.6 && agentIds.length && jobIds.length) { const [agentId, jobId] = holder(); command = { type: 'startJob', agentId, jobId }; }
    else if (roll < 0.64 && agentIds.length && jobIds.length) { const [agentId, jobId] = holder(); command = { type: 'reportProgress', agentId, jobId, leaseMs: 10_000, progress: { step: i % 7, total: 7, loss: random() } }; }
    else if (roll < 0.7 && agentIds.length && jobIds.length) { const [agentId, jobId] = holder(); command = { type: 'completeJob', agentId, jobId, result: { png: `s3://b/${i}` } }; }
    else if (roll < 0.77 && agentIds.length && jobIds.length) { const [agentId, jobId] = holder(); command = { type: 'failJob', agentId, jobId, reason: `oom ${i}`, final: random() < 0.2 }; }
    else if (roll < 0.8 && jobIds.length) command = { type: 'cancelJob', jobId: pick(jobIds) };
    else if (roll < 0.84) command = { type: 'expireLeases', now: at };
    else if (roll < 0.87) command = { type: 'reserveSubject', token: pick(tokens), classWord: 'dog', owner: 'u1' };
    else if (roll < 0.89) command = { type: 'updateSubject', token: pick(tokens), status: pick(['training', 'failed', 'reserved']) };
    else if (roll < 0.92) command = { type: 'registerModelVersion', parent: shadow.currentVersion, manifestKey: `m/${i}`, subjects: [pick(tokens)], mergeMethod: 'orthogonal' };
    else if (roll < 0.93) command = { type: 'rollbackModel', versionId: 'v1' };
    else if (roll < 0.97) command = { type: 'put', key: `k${Math.floor(random() * 5)}`, value: { i, z: 1, a: 2 } };
    else command = { type: pick(['get', 'bogus']), key: 'k1' };
    const clientId = `client-${Math.floor(random() * 6)}`;
    const retry = random() < 0.1 && seqs.has(clientId);
    const seq = retry ? (seqs.get(clientId) as number) : (seqs.get(clientId) ?? 0) + 1;
    seqs.set(clientId, seq);
    const entry = new TextEncoder().encode(JSON.stringify({ clientId, seq, at, command }));
    const result = shadow.apply(i, entry);
    // A retry replays the result of the command that first used its seq, so only a fresh result names a new record.
    const fresh = result.ok && !retry;
    if (fresh && command.type === 'createAgent') agentIds.push((result.value as { id: string }).id);
    if (fresh && command.type === 'submitJob') jobIds.push((result.value as { id: string }).id);
    if (fresh && command.type === 'leaseJob' && result.value) {
      const job = result.value as { id: string; leaseHolder: string };
      leases.push([job.leaseHolder, job.id]);
    }
    entries.push(entry);
  }
  return entries;
}

describe('StateMachine determinism', () => {
  afterEach(() => vi.restoreAllMocks());

  it('two replicas applying the same entries return the same results and byte-identical snapshots, whatever their clocks and randomness', () => {
    const entries = workload(7, 600);
    const a = new StateMachine();
    const b = new StateMachine();
    vi.spyOn(Date, 'now').mockReturnValue(1);
    vi.spyOn(Math, 'random').mockReturnValue(0.1);
    const resultsA = entries.map((entry, i) => JSON.stringify(a.apply(i + 1, entry)));
    vi.spyOn(Date, 'now').mockReturnValue(9_999_999_999_999);
    vi.spyOn(Math, 'random').mockReturnValue(0.9);
    const resultsB = entries.map((entry, i) => JSON.stringify(b.apply(i + 1, entry)));
    expect(resultsB).toEqual(resultsA);
    expect(Buffer.from(b.snapshot()).equals(Buffer.from(a.snapshot()))).toBe(true);
    // The workload really exercised the state: several kinds of records exist.
    const summary = a.query({ type: 'summary' }) as {
      jobs: Record<string, number>;
      agents: Record<string, number>;
      modelVersions: number;
      durations: Record<string, { count: number }>;
    };
    expect(summary.jobs.succeeded).toBeGreaterThan(0);
    expect(summary.jobs.failed).toBeGreaterThan(0);
    expect(summary.modelVersions).toBeGreaterThan(1);
    expect(summary.agents.active + summary.agents.revoked).toBeGreaterThan(1);
    expect(summary.durations.imagine?.count).toBeGreaterThan(0);
  });

  it('a replica restored from a mid-way snapshot ends byte-identical to one that applied every entry', () => {
    for (const seed of [1, 2, 3]) {
      const entries = workload(seed, 400);
      const full = new StateMachine();
      entries.forEach((entry, i) => full.apply(i + 1, entry));
      const early = new StateMachine();
      entries.slice(0, 173).forEach((entry, i) => early.apply(i + 1, entry));
      const restored = new StateMachine();
      restored.restore(early.snapshot());
      expect(restored.appliedIndex).toBe(173);
      entries.slice(173).forEach((entry, i) => restored.apply(174 + i, entry));
      expect(Buffer.from(restored.snapshot()).toString()).toBe(Buffer.from(full.snapshot()).toString());
    }
  });
});

describe('StateMachine observer', () => {
  it('hears of each job that ends, once, as its entry applies; one that throws changes nothing', () => {
    const entries = workload(5, 600);
    const ended: Array<{ id: string; state: string; createdAt: number; finishedAt: number | null }> = [];
    const heard = new StateMachine({ jobEnded: (job) => void ended.push({ id: job.id, state: job.state, createdAt: job.createdAt, finishedAt: job.finishedAt }) });
    const broken = new StateMachine({
      jobEnded: () => {
        throw new Error('observer failed');
      },
    });
    const plain = new StateMachine();
    const results = entries.map((entry, i) => [heard, broken, plain].map((machine) => JSON.stringify(machine.apply(i + 1, entry))));
    for (const [a, b, c] of results) expect([b, c]).toEqual([a, a]);
    expect(Buffer.from(broken.snapshot()).equals(Buffer.from(plain.snapshot()))).toBe(true);

    const { jobs } = plain.query({ type: 'listJobs' }) as { jobs: Array<{ id: string; state: string; createdAt: number; finishedAt: number | null }> };
    const final = jobs.filter((job) => job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled');
    expect(final.length).toBeGreaterThan(0);
    expect([...ended].sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      final.map(({ id, state, createdAt, finishedAt }) => ({ id, state, createdAt, finishedAt })).sort((a, b) => a.id.localeCompare(b.id)),
    );
  });
});

describe('StateMachine snapshot and restore', () => {
  it('round-trips all state: records, queue order, kv, sessions and applied index', () => {
    const h = new StateHarness();
    const agentId = h.agent('gpu-box', { canTrain: true });
    const first = h.ok<{ id: string }>({ type: 'submitJob', kind: 'imagine', params: { prompt: 'a red star' }, requester: 'u1' });
    const second = h.ok<{ id: string }>({ type: 'submitJob', kind: 'imagine', params: { prompt: 'a blue star' }, requester: 'u1', idempotencyKey: 'k1' });
    h.ok({ type: 'leaseJob', agentId, leaseMs: 1000 });
    h.ok({ type: 'failJob', agentId, jobId: first.id, reason: 'oom' }); // first goes behind second in the queue
    h.ok({ type: 'put', key: 'x', value: [1, 2] });
    h.ok({ type: 'reserveSubject', token: 'zxq', classWord: 'dog', owner: 'u1' });
    h.ok({ type: 'registerModelVersion', parent: null, manifestKey: 'm/1', subjects: ['zxq'], mergeMethod: 'none' });
    const retried = h.run({ type: 'put', key: 'x', value: 3 }, { clientId: 'c9', seq: 4 });

    const copy = new StateMachine();
    copy.restore(h.machine.snapshot());
    expect(Buffer.from(copy.snapshot()).equals(Buffer.from(h.machine.snapshot()))).toBe(true);
    expect(copy.appliedIndex).toBe(h.index);
    expect(copy.query({ type: 'listAgents' })).toEqual(h.query({ type: 'listAgents' }));
    expect(copy.query({ type: 'currentModel' })).toMatchObject({ id: 'v1', subjects: ['zxq'] });
    // The queue order survives: the re-queued job comes after the one submitted later.
    const leased = copy.apply(h.index + 1, encodeProposal({ clientId: 'c1', seq: 100, at: h.now, command: { type: 'leaseJob', agentId, leaseMs: 1000 } }));
    expect(leased).toMatchObject({ ok: true, value: { id: second.id } });
    // The idempotency index is rebuilt from the jobs.
    const again = copy.apply(h.index + 2, encodeProposal({ clientId: 'c1', seq: 101, at: h.now, command: { type: 'submitJob', kind: 'imagine', params: {}, requester: 'u1', idempotencyKey: 'k1' } }));
    expect(again).toMatchObject({ ok: true, value: { id: second.id } });
    // Sessions survive: a retry after restore gets the cached result, not a second put.
    const replay = copy.apply(h.index + 3, encodeProposal({ clientId: 'c9', seq: 4, at: h.now, command: { type: 'put', key: 'x', value: 3 } }));
    expect(replay).toEqual(retried);
    expect(copy.query({ type: 'kvGet', key: 'x' })).toEqual({ value: 3 });
  });

  it('carries fair-queue, progress, failure, pause and duration state: a restored replica and a fresh one that applied the same commands match', () => {
    /** One scripted mix of the job commands, applied to a fresh harness. */
    const play = (): { h: StateHarness; agents: string[]; jobs: string[] } => {
      const h = new StateHarness();
      const big = h.agent('big', { canTrain: true, maxImageSize: 1024 });
      const flaky = h.agent('flaky');
      const silent = h.agent('silent', null);
      const jobs = ['alice', 'alice', 'bob', 'alice', 'carol', 'bob', 'dave', 'erin'].map(
        (requester, i) => h.ok<{ id: string }>({ type: 'submitJob', kind: i === 1 ? 'train' : 'imagine', params: { width: i === 3 ? 1024 : 256, token: `tok${i}`, classWord: 'dog' }, requester }).id,
      );
      const lease = (agentId: string) => h.ok<{ id: string }>({ type: 'leaseJob', agentId, leaseMs: 30_000 });
      const first = lease(big);
      h.now += 1000;
      h.ok({ type: 'reportProgress', agentId: big, jobId: first.id, leaseMs: 30_000, progress: { step: 3, total: 10, loss: 0.1 / 3 } });
      h.now += 7000;
      h.ok({ type: 'completeJob', agentId: big, jobId: first.id, result: { png: 'images/1.png' } });
      // The first failure is the input's fault and does not count; the next ones pause the agent.
      for (let i = 0; i <= STATE_LIMITS.agentFailuresToPause; i++) {
        h.ok({ type: 'failJob', agentId: flaky, jobId: lease(flaky).id, reason: `CUDA error ${i}`, final: i === 0 });
      }
      const running = lease(big);
      h.ok({ type: 'reportProgress', agentId: big, jobId: running.id, leaseMs: 120_000, progress: { step: 1, total: 4, phase: 'denoising' } });
      lease(big);
      h.now += 60_000;
      h.ok({ type: 'expireLeases', now: h.now - 20_000 });
      h.ok({ type: 'cancelJob', jobId: jobs[5] as string });
      return { h, agents: [big, flaky, silent], jobs };
    };
    const a = play();
    const b = play();
    expect(Buffer.from(b.h.machine.snapshot()).toString()).toBe(Buffer.from(a.h.machine.snapshot()).toString());

    const restored = new StateMachine();
    restored.restore(a.h.machine.snapshot());
    expect(Buffer.from(restored.snapshot()).toString()).toBe(Buffer.from(a.h.machine.snapshot()).toString());
    const views = (machine: StateMachine) => [
      machine.query({ type: 'listAgents' }),
      machine.query({ type: 'listJobs' }),
      machine.query({ type: 'summary' }),
      ...a.jobs.map((jobId) => machine.query({ type: 'jobQueuePosition', jobId })),
    ];
    expect(views(restored)).toEqual(views(a.h.machine));
    // The state really holds each new kind of record.
    const agents = (a.h.query<{ agents: { status: string; recentFailures: number[] }[] }>({ type: 'listAgents' })).agents;
    expect(agents.map((agent) => [agent.status, agent.recentFailures.length])).toEqual([['active', 1], ['paused', 5], ['active', 0]]);
    expect(a.h.query({ type: 'summary' })).toMatchObject({
      durations: { imagine: { count: 1, meanMs: 7000 } },
      jobs: { queued: 4, leased: 0, running: 1, succeeded: 1, failed: 1, cancelled: 1 },
    });
    // The rebuilt indexes schedule the same way: the next leases on both replicas agree.
    const next = (machine: StateMachine, index: number) =>
      machine.apply(index, encodeProposal({ clientId: 'next', seq: index, at: a.h.now, command: { type: 'leaseJob', agentId: a.agents[0] as string, leaseMs: 1000 } }));
    for (let index = a.h.index + 1; index <= a.h.index + 4; index++) expect(next(restored, index)).toEqual(next(a.h.machine, index));
  });

  it('refuses a corrupt or foreign snapshot with StorageError and keeps its state', () => {
    const h = new StateHarness();
    h.ok({ type: 'put', key: 'keep', value: 1 });
    const good = JSON.parse(Buffer.from(h.machine.snapshot()).toString()) as Record<string, unknown>;
    const bad: Uint8Array[] = [
      new TextEncoder().encode('{"format":"teambooth-state"'),
      new TextEncoder().encode(JSON.stringify({ hello: 'world' })),
      new TextEncoder().encode(JSON.stringify({ ...good, version: 99 })),
      new TextEncoder().encode(JSON.stringify({ ...good, queue: ['j-77'] })),
      new TextEncoder().encode(JSON.stringify({ ...good, currentVersion: 'v3' })),
    ];
    for (const bytes of bad) {
      expect(() => h.machine.restore(bytes)).toThrow(StorageError);
    }
    expect(() => h.machine.restore(new TextEncoder().encode(JSON.stringify({ ...good, version: 99 })))).toThrow(/layout version 99/);
    expect(h.query({ type: 'kvGet', key: 'keep' })).toEqual({ value: 1 });
  });
});

describe('StateMachine exactly-once sessions', () => {
  it('applies a duplicate seq once and returns the same result', () => {
    const h = new StateHarness();
    h.agent('box');
    const first = h.run({ type: 'submitJob', kind: 'imagine', params: { prompt: 'a cat' }, requester: 'u1' }, { clientId: 'bot', seq: 1 });
    const retry = h.run({ type: 'submitJob', kind: 'imagine', params: { prompt: 'a cat' }, requester: 'u1' }, { clientId: 'bot', seq: 1 });
    expect(retry).toEqual(first);
    expect(h.query<{ jobs: unknown[] }>({ type: 'listJobs' }).jobs).toHaveLength(1);
    // A put retried returns the first previous value, not the value it wrote itself.
    h.run({ type: 'put', key: 'k', value: 'a' }, { clientId: 'kv', seq: 1 });
    const put = h.run({ type: 'put', key: 'k', value: 'b' }, { clientId: 'kv', seq: 2 });
    expect(h.run({ type: 'put', key: 'k', value: 'b' }, { clientId: 'kv', seq: 2 })).toEqual(put);
    expect(put).toEqual({ ok: true, value: { previous: 'a' } });
  });

  it('refuses an older seq as stale without applying it', () => {
    const h = new StateHarness();
    h.run({ type: 'put', key: 'k', value: 1 }, { clientId: 'c', seq: 5 });
    h.run({ type: 'put', key: 'k', value: 2 }, { clientId: 'c', seq: 6 });
    const stale = h.run({ type: 'put', key: 'k', value: 99 }, { clientId: 'c', seq: 5 });
    expect(stale).toMatchObject({ ok: false, error: { code: 'stale_sequence' } });
    expect(!stale.ok && stale.error.message).toMatch(/stale sequence number.*seq 6/);
    expect(h.query({ type: 'kvGet', key: 'k' })).toEqual({ value: 2 });
    // Sequence numbers may skip ahead.
    expect(h.run({ type: 'put', key: 'k', value: 3 }, { clientId: 'c', seq: 10 })).toEqual({ ok: true, value: { previous: 2 } });
  });

  it('records a command that fails validation as the session result, so its retry gets the same refusal', () => {
    const h = new StateHarness();
    const bad = h.run({ type: 'createAgent', name: 'gpu box', owner: 'o', tokenHash: 'nope' }, { clientId: 'cli', seq: 1 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(!bad.ok && bad.error.message).toMatch(/name: an agent name is 1-64 letters/);
    expect(!bad.ok && bad.error.message).toMatch(/tokenHash: must be the sha-256/);
    expect(h.run({ type: 'createAgent', name: 'gpu-box', owner: 'o', tokenHash: tokenHashOf('t') }, { clientId: 'cli', seq: 1 })).toEqual(bad);
    expect(h.query<{ agents: unknown[] }>({ type: 'listAgents' }).agents).toHaveLength(0);
  });

  it(`keeps at most ${STATE_LIMITS.maxSessions} sessions, evicting the least recently used`, () => {
    const h = new StateHarness();
    h.run({ type: 'put', key: 'k', value: 0 }, { clientId: 'oldest', seq: 1 });
    h.now += 1;
    h.run({ type: 'put', key: 'k', value: 1 }, { clientId: 'touched', seq: 1 });
    for (let i = 0; i < STATE_LIMITS.maxSessions - 2; i++) {
      h.now += 1;
      h.run({ type: 'get', key: 'k' }, { clientId: `filler-${i}`, seq: 1 });
    }
    // A retry counts as use, so `touched` is now the most recent and `oldest` the least.
    h.now += 1;
    h.run({ type: 'put', key: 'k', value: 1 }, { clientId: 'touched', seq: 1 });
    expect(h.query({ type: 'summary' })).toMatchObject({ sessions: STATE_LIMITS.maxSessions });
    h.now += 1;
    h.run({ type: 'get', key: 'k' }, { clientId: 'newcomer', seq: 1 });
    expect(h.query({ type: 'summary' })).toMatchObject({ sessions: STATE_LIMITS.maxSessions });
    // `oldest` lost its session: its old seq applies again (no cached result), while `touched` still has its own.
    expect(h.run({ type: 'put', key: 'k', value: 'again' }, { clientId: 'oldest', seq: 1 })).toEqual({ ok: true, value: { previous: 1 } });
    expect(h.run({ type: 'put', key: 'k', value: 'x' }, { clientId: 'touched', seq: 1 })).toEqual({ ok: true, value: { previous: 0 } });
  });
});

describe('StateMachine entries', () => {
  it('treats empty entries as no-ops that advance the applied index', () => {
    const machine = new StateMachine();
    expect(machine.apply(1, new Uint8Array(0))).toEqual({ ok: true, value: null });
    expect(machine.appliedIndex).toBe(1);
  });

  it('refuses an index at or below the applied index without changing state', () => {
    const machine = new StateMachine();
    const put = (value: number) => encodeProposal({ clientId: 'c', seq: value, at: 1, command: { type: 'put', key: 'k', value } });
    machine.apply(5, put(1));
    const again = machine.apply(5, put(2));
    expect(again).toMatchObject({ ok: false, error: { code: 'failed_precondition' } });
    expect(machine.query({ type: 'kvGet', key: 'k' })).toEqual({ value: 1 });
    expect(machine.appliedIndex).toBe(5);
  });

  it('returns failures for entries that are not proposals instead of throwing', () => {
    const machine = new StateMachine();
    expect(machine.apply(1, new TextEncoder().encode('not json'))).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/does not hold a JSON proposal/) } });
    expect(machine.apply(2, new TextEncoder().encode('{"seq":1}'))).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/clientId: is required/) } });
    expect(machine.apply(3, encodeProposal({ clientId: 'c', seq: 1, at: 1, command: { type: 'launchRocket' } as never }))).toMatchObject({
      ok: false,
      error: { code: 'invalid', message: expect.stringMatching(/type is "launchRocket"; expected one of createAgent, .*put, get/) },
    });
    expect(machine.appliedIndex).toBe(3);
  });

  it('stamps records with the leader time and never lets the state clock run backwards', () => {
    const h = new StateHarness();
    h.agent('box');
    const job = h.ok<{ createdAt: number }>({ type: 'submitJob', kind: 'imagine', params: {}, requester: 'u' }, { clientId: 'a' });
    expect(job.createdAt).toBe(h.now);
    // A new leader whose clock is behind: timestamps stay at the latest time already applied.
    const later = h.run({ type: 'submitJob', kind: 'imagine', params: {}, requester: 'u' }, { at: h.now - 60_000 });
    expect(later).toMatchObject({ ok: true, value: { createdAt: h.now } });
  });
});
