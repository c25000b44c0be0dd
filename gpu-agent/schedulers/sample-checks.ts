/** Argument checks shared by the schedulers. */
export const sampleChecks = Object.freeze({
  /** Throws unless `setTimesteps` has run and `stepIndex` is one of its steps. */
  stepIndex(stepIndex: number, timesteps: readonly number[] | undefined): readonly number[] {
    if (timesteps === undefined) throw new Error('call setTimesteps(steps) before stepping the scheduler');
    if (!Number.isInteger(stepIndex) || stepIndex < 0 || stepIndex >= timesteps.length) {
      throw new RangeError(`stepIndex must be an integer in 0..${timesteps.length - 1} (got ${stepIndex})`);
    }
    return timesteps;
  },

  /** Throws unless both arrays have the same length. */
  sameLength(a: Float32Array, b: Float32Array, what: string): void {
    if (a.length !== b.length) throw new RangeError(`${what}: lengths differ (${a.length} and ${b.length})`);
  },
});
