import { numpyLike } from './numeric.ts';
import type { SchedulerSettings } from './scheduler-config.ts';

/** How {@link spaceTimesteps} spaces inference timesteps over the train timesteps. */
export interface TimestepSpacingOptions {
  spacing: SchedulerSettings['timestepSpacing'];
  numTrainTimesteps: number;
  /** Added to `leading` timesteps (Stable Diffusion uses 1). */
  stepsOffset: number;
  steps: number;
  /**
   * `standard` (DDIM, Euler): `steps` points over the train range. `multistep` (DPM-Solver++):
   * `steps + 1` points with the last (t = 0) dropped, as diffusers' multistep solvers do.
   */
  layout: 'standard' | 'multistep';
  /** Round `linspace` timesteps to integers (DDIM, DPM-Solver++); Euler keeps them fractional. */
  integer: boolean;
}

/**
 * Descending inference timesteps in diffusers' three spacings (Lin et al. 2023, table 2):
 * `linspace` from 0 to N-1, `leading` multiples of N/steps (floored) plus the offset,
 * `trailing` from N-1 down in steps of N/steps. Ties round to even, as NumPy does.
 * @throws RangeError when `steps` is not an integer in 1..N or a timestep would leave 0..N-1.
 */
export function spaceTimesteps(options: TimestepSpacingOptions): number[] {
  const { spacing, numTrainTimesteps: n, stepsOffset, steps, layout, integer } = options;
  if (!Number.isInteger(steps) || steps < 1 || steps > n) throw new RangeError(`steps must be an integer in 1..${n} (got ${steps})`);
  const points = layout === 'multistep' ? steps + 1 : steps;
  let timesteps: number[];
  if (spacing === 'linspace') {
    timesteps = numpyLike.linspace(0, n - 1, points).reverse();
    if (integer) timesteps = timesteps.map(numpyLike.round);
  } else if (spacing === 'leading') {
    const ratio = Math.floor(n / points);
    if (ratio === 0) throw new RangeError(`steps must be at most ${n - 1} with leading spacing (got ${steps})`);
    timesteps = Array.from({ length: points }, (_, i) => (points - 1 - i) * ratio + stepsOffset);
  } else {
    const ratio = n / steps;
    timesteps = numpyLike.arange(n, -ratio, steps).map((t) => numpyLike.round(t) - 1);
  }
  if (layout === 'multistep' && spacing !== 'trailing') timesteps = timesteps.slice(0, steps);
  const outside = timesteps.find((t) => !(t >= 0 && t <= n - 1));
  if (outside !== undefined) {
    throw new RangeError(`steps ${steps} with ${spacing} spacing and steps_offset ${stepsOffset} gives timestep ${outside}, outside 0..${n - 1}; use fewer steps`);
  }
  return timesteps;
}
