/** A learning-rate schedule: linear warmup, then cosine decay to a floor. */
export interface LearningRateSchedule {
  /** Peak learning rate, reached at the end of the warmup. */
  peak: number;
  warmupSteps: number;
  totalSteps: number;
  /** Fraction of `peak` at the last step. */
  floor: number;
}

/** The learning rate of step `step` (0-based): `peak (s+1)/warmup` during warmup, then cosine from `peak` to `floor peak`. */
export function learningRateAt(schedule: LearningRateSchedule, step: number): number {
  const { peak, warmupSteps, totalSteps, floor } = schedule;
  if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
  return peak * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}
