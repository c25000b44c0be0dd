/**
 * Randomized fault schedules (in the spirit of Jepsen and the Raft paper's §5 safety argument):
 * for hundreds of seeds, a 3- or 5-node cluster serves concurrent clients through partitions,
 * one-way cuts, crashes (some in the middle of a write), restarts, drops, duplicates,
 * reordering and leadership transfers; then it heals and must answer every operation, agree
 * on one state, never break an invariant, and produce a linearizable history. Failing seeds
 * replay exactly with `npm run lincheck -- 1 SEED`.
 */
import { describe, expect, it } from 'vitest';
import { describeFailure, runFaultSchedule, type FaultScheduleResult } from '../support/fault-schedule.ts';

const SEEDS = 500;

describe('randomized fault schedules', () => {
  it(`${SEEDS} seeds: every history is linearizable and every invariant holds`, () => {
    const results: FaultScheduleResult[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) results.push(runFaultSchedule({ seed }));
    const failed = results.filter((r) => !r.ok);
    const sum = (f: (r: FaultScheduleResult) => number) => results.reduce((n, r) => n + f(r), 0);
    console.log(
      `lincheck: ${SEEDS} seeds, ${sum((r) => r.operations)} ops, ${sum((r) => r.stats.elections)} elections, ` +
        `${sum((r) => r.stats.crashes)} crashes, ${sum((r) => r.stats.snapshotsInstalled)} snapshot installs, ${failed.length} failing` +
        (failed.length > 0 ? ` (seeds ${failed.map((r) => r.seed).join(', ')})` : ''),
    );
    for (const r of failed.slice(0, 3)) console.log(describeFailure(r));
    expect(failed.map((r) => r.seed)).toEqual([]);
    // The schedules really are hostile: most seeds saw crashes and more than one leader.
    expect(results.filter((r) => r.stats.crashes > 0 && r.stats.elections > 1).length).toBeGreaterThan(SEEDS * 0.8);
    expect(sum((r) => r.stats.snapshotsInstalled)).toBeGreaterThan(SEEDS / 2);
  });

  it('a seed replays exactly', () => {
    const a = runFaultSchedule({ seed: 4242 });
    const b = runFaultSchedule({ seed: 4242 });
    expect(b).toEqual(a);
    expect(runFaultSchedule({ seed: 4243 }).faults).not.toEqual(a.faults);
  });

  it('the same schedules catch a store that serves reads locally instead of through ReadIndex', () => {
    const results = Array.from({ length: 40 }, (_, i) => runFaultSchedule({ seed: i + 1, staleReads: true }));
    const caught = results.filter((r) => r.problems.some((p) => p.startsWith('not linearizable')));
    expect(caught.length).toBeGreaterThan(0);
  });
});
