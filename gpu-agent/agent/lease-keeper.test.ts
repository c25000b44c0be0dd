import { setImmediate as turn } from 'node:timers/promises';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ClusterUnavailableError } from '../../cluster/client/client-errors.ts';
import { CommandRejectedError } from '../../cluster/raft/errors.ts';
import { LeaseLostError } from './agent-errors.ts';
import type { AgentJobsApi, JobUrls, ProgressReport } from './agent-jobs-api.ts';
import { LeaseKeeper, type LeaseKeeperOptions } from './lease-keeper.ts';

interface Sent extends ProgressReport {
  refreshUrls: boolean;
}

/** An AgentJobsApi whose Progress records its reports and answers with `answer`. */
function fakeApi(answer: (sent: Sent) => Promise<JobUrls & { leaseMs: number }> = async () => ({ leaseMs: 0, inputs: {}, outputs: {} })) {
  const sent: Sent[] = [];
  const listeners = new Set<() => void>();
  const unused = async (): Promise<never> => {
    throw new Error('not used by the lease keeper');
  };
  const api: AgentJobsApi = {
    heartbeat: unused,
    claim: unused,
    complete: unused,
    fail: unused,
    modelFiles: unused,
    progress: (_jobId, report, refreshUrls) => {
      const record = { ...report, refreshUrls };
      sent.push(record);
      for (const listener of [...listeners]) listener();
      return answer(record);
    },
  };
  /** Resolves once `count` reports were sent. */
  const sentCount = (count: number): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (sent.length < count) return;
        listeners.delete(check);
        resolve();
      };
      listeners.add(check);
      check();
    });
  return { api, sent, sentCount };
}

function keeper(api: AgentJobsApi, overrides: Partial<LeaseKeeperOptions> = {}) {
  let clock = 0;
  const job = new AbortController();
  const lost: LeaseLostError[] = [];
  const instance = new LeaseKeeper({
    api,
    jobId: 'j-1',
    leaseMs: 600_000,
    signal: job.signal,
    onLost: (error) => lost.push(error),
    logger: pino({ level: 'silent' }),
    now: () => clock,
    sleep: async () => undefined,
    random: () => 0.5,
    ...overrides,
  });
  return { instance, job, lost, advance: (ms: number) => void (clock += ms) };
}

describe('LeaseKeeper', () => {
  it('reports step changes at most once per second', async () => {
    const { api, sent } = fakeApi();
    const { instance, job, advance } = keeper(api);
    instance.update({ step: 1, total: 10, phase: 'denoising' });
    await turn();
    for (let step = 2; step <= 5; step++) {
      advance(200);
      instance.update({ step });
      await turn();
    }
    advance(200);
    instance.update({ step: 6 });
    await turn();
    instance.update({ step: 6 }); // no change: nothing to say
    advance(5000);
    await turn();
    expect(sent.map((report) => [report.step, report.total, report.phase])).toEqual([
      [1, 10, 'denoising'],
      [6, 10, 'denoising'],
    ]);
    expect(sent.every((report) => Number.isNaN(report.loss) && !report.refreshUrls)).toBe(true);
    job.abort();
  });

  it('renews the lease every third of it even when no step ends', async () => {
    const { api, sent, sentCount } = fakeApi(async () => ({ leaseMs: 300, inputs: {}, outputs: {} }));
    const { instance, job } = keeper(api, { leaseMs: 300 });
    instance.update({ step: 1, total: 150, phase: 'denoising' });
    await sentCount(4);
    job.abort();
    expect(sent.every((report) => report.step === 1)).toBe(true);
  });

  it('keeps renewing through a cluster outage', async () => {
    let failures = 2;
    const { api, sentCount } = fakeApi(async () => {
      if (failures-- > 0) throw new ClusterUnavailableError('no leader reachable', undefined);
      return { leaseMs: 300, inputs: {}, outputs: {} };
    });
    const { lost, job } = keeper(api, { leaseMs: 300 });
    await sentCount(4);
    job.abort();
    expect(lost).toEqual([]);
  });

  it('keeps renewing when a report takes longer than the renewal period', async () => {
    let slow = true;
    const { api, sentCount } = fakeApi(async () => {
      if (slow) {
        slow = false;
        await new Promise((resolve) => setTimeout(resolve, 350));
      }
      return { leaseMs: 300, inputs: {}, outputs: {} };
    });
    const { job } = keeper(api, { leaseMs: 300 });
    await sentCount(3);
    job.abort();
  });

  it('calls onLost once and stops reporting when the cluster answers FAILED_PRECONDITION', async () => {
    const { api, sent } = fakeApi(async () => {
      throw new CommandRejectedError('job j-1 is not leased to agent a-1', 'failed_precondition');
    });
    const { instance, lost, advance } = keeper(api, { leaseMs: 300 });
    instance.update({ step: 1, total: 3, phase: 'training' });
    await turn();
    await turn();
    expect(lost.map((error) => error.message)).toEqual(['the cluster took job j-1 back: job j-1 is not leased to agent a-1']);
    advance(2000);
    instance.update({ step: 2 });
    expect(sent).toHaveLength(1);
  });

  it('asks for fresh URLs through a progress report', async () => {
    const fresh: Record<string, string> = { 'a.png': 'http://s3/a?new' };
    const { api, sent } = fakeApi(async (report) => ({ leaseMs: 600_000, inputs: report.refreshUrls ? fresh : {}, outputs: {} }));
    const { instance, job } = keeper(api);
    expect(await instance.refreshUrls(job.signal)).toEqual({ inputs: { 'a.png': 'http://s3/a?new' }, outputs: {} });
    expect(sent.map((report) => report.refreshUrls)).toEqual([true]);
    job.abort();
  });

  it('turns a refused URL refresh into a LeaseLostError', async () => {
    const { api } = fakeApi(async () => {
      throw new CommandRejectedError('job j-1 was cancelled', 'failed_precondition');
    });
    const { instance, job, lost } = keeper(api);
    await expect(instance.refreshUrls(job.signal)).rejects.toThrow(LeaseLostError);
    expect(lost).toHaveLength(1);
  });
});
