import { describe, expect, it } from 'vitest';
import { newJob } from '../cluster/state/job-attempts.ts';
import type { Job } from '../cluster/state/types.ts';
import { startJobProgress } from './commands/cluster-job-progress.ts';
import { describeDuration, describeQueue, ordinal } from '../cluster/client/job-wording.ts';

const queue = (position: number, capableAgents: number, estimatedWaitMs: number | null) => ({ jobId: 'j-1', state: 'queued' as const, position, ahead: position - 1, capableAgents, estimatedWaitMs });

/** A job record with defaults for the fields a test does not care about. */
function job(fields: Partial<Job>): Job {
  return { ...newJob({ id: 'j-7', kind: 'train', params: {}, requester: 'alice', idempotencyKey: null, modelVersion: null, basis: null }, 1), ...fields };
}

describe('how the CLI words a queued job', () => {
  it('says the place in line and the wait, or why there is no estimate', () => {
    expect(describeQueue(queue(1, 2, null))).toBe('next in line');
    expect(describeQueue(queue(3, 2, 40_000))).toBe('3rd in line, about 40 s');
    expect(describeQueue(queue(12, 1, 5 * 60_000))).toBe('12th in line, about 5 min');
    expect(describeQueue(queue(2, 0, null))).toBe('2nd in line, waiting for an agent that can run it (none is active now)');
  });

  it('writes ordinals and durations as people do', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(ordinal)).toEqual(['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st', '111th']);
    expect([400, 9_940, 40_000, 89_000, 600_000, 2 * 3_600_000 + 300_000].map(describeDuration)).toEqual(['0.4 s', '9.9 s', '40 s', '89 s', '10 min', '2 h 5 min']);
  });
});

describe('startJobProgress without a terminal', () => {
  it('writes one line per change, failed attempts, and steps at every tenth with the loss', () => {
    const sink = { text: '', write: (text: string) => void (sink.text += text) };
    const progress = startJobProgress(sink, { label: 'train', quiet: false });
    progress.update({ job: job({}), queue: queue(2, 1, 30_000) });
    progress.update({ job: job({}), queue: queue(2, 1, 30_000) }); // unchanged: nothing new
    progress.update({ job: job({}), queue: queue(1, 1, 15_000) });
    const running = { state: 'running' as const, attempts: 1, leaseHolder: 'a-1' };
    for (let step = 1; step <= 20; step++) progress.update({ job: job({ ...running, progress: { step, total: 20, loss: 1 / step, phase: null, at: 2 } }), queue: null });
    const error = { at: Date.UTC(2025, 0, 1), attempt: 1, agentId: 'a-1', message: 'out of memory' };
    progress.update({ job: job({ attempts: 1, errors: [error] }), queue: queue(1, 1, null) });
    progress.stop();
    expect(sink.text.split('\n')).toEqual([
      'queued: 2nd in line, about 30 s',
      'queued: next in line, about 15 s',
      'running by agent a-1 (attempt 1 of 3)',
      ...[1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20].map((step) => `step ${step}/20  loss ${(1 / step).toFixed(4)}`),
      'attempt 1 failed on agent a-1: out of memory',
      'queued: next in line',
      '',
    ]);
  });

  it('shows nothing with quiet (--json)', () => {
    const sink = { text: '', write: (text: string) => void (sink.text += text) };
    const progress = startJobProgress(sink, { label: 'imagine', quiet: true });
    progress.update({ job: job({ state: 'running', attempts: 1, leaseHolder: 'a-1', progress: { step: 1, total: 2, loss: null, phase: null, at: 1 } }), queue: null });
    progress.stop();
    expect(sink.text).toBe('');
  });
});
