import { DdimScheduler } from './ddim-scheduler.ts';
import { DpmSolverMultistepScheduler } from './dpm-solver-multistep-scheduler.ts';
import { EulerDiscreteScheduler } from './euler-discrete-scheduler.ts';
import { SCHEDULER_KINDS } from './scheduler.ts';
import type { Scheduler, SchedulerKind } from './scheduler.ts';
import { parseSchedulerConfig, resolveSchedulerSettings, SchedulerConfigError } from './scheduler-config.ts';
import type { SchedulerConfig } from './scheduler-config.ts';

/**
 * The scheduler kind used for each diffusers `_class_name` when the caller does not choose one.
 * Classes the agent does not implement map to the nearest implemented one in the same family:
 * PNDM (Stable Diffusion 1.x exports; pseudo-linear multistep in the UNet's sample space, same
 * `leading` + `steps_offset` timesteps) and DDPM run as DDIM; LMS, Euler ancestral, Heun and
 * KDPM2 (Karras sigma-space samplers) run as Euler; the other multistep ODE solvers (UniPC,
 * DEIS, single-step DPM-Solver) run as DPM-Solver++ 2M.
 */
export const SCHEDULER_CLASS_KINDS: Readonly<Record<string, SchedulerKind>> = Object.freeze({
  DDIMScheduler: 'ddim',
  PNDMScheduler: 'ddim',
  DDPMScheduler: 'ddim',
  EulerDiscreteScheduler: 'euler',
  EulerAncestralDiscreteScheduler: 'euler',
  LMSDiscreteScheduler: 'euler',
  HeunDiscreteScheduler: 'euler',
  KDPM2DiscreteScheduler: 'euler',
  DPMSolverMultistepScheduler: 'dpmpp-2m',
  DPMSolverSinglestepScheduler: 'dpmpp-2m',
  UniPCMultistepScheduler: 'dpmpp-2m',
  DEISMultistepScheduler: 'dpmpp-2m',
});

/**
 * Makes a scheduler from a `scheduler_config.json` (parsed JSON or an already validated config).
 * `kind` overrides the config's `_class_name` (a request's `scheduler` option); when it is
 * undefined the kind comes from `_class_name` through {@link SCHEDULER_CLASS_KINDS}. Fields the
 * config leaves out take the chosen class's diffusers defaults.
 * @throws SchedulerConfigError for an unknown kind or class name, or a bad config field.
 */
export function createScheduler(kind: SchedulerKind | undefined, config: unknown): Scheduler {
  const parsed: SchedulerConfig = parseSchedulerConfig(config);
  const chosen = kind === undefined ? kindFromClassName(parsed._class_name) : checkedKind(kind);
  const settings = resolveSchedulerSettings(chosen, parsed);
  switch (chosen) {
    case 'ddim':
      return new DdimScheduler(settings);
    case 'euler':
      return new EulerDiscreteScheduler(settings);
    case 'dpmpp-2m':
      return new DpmSolverMultistepScheduler(settings);
  }
}

function checkedKind(kind: string): SchedulerKind {
  if ((SCHEDULER_KINDS as readonly string[]).includes(kind)) return kind as SchedulerKind;
  throw new SchedulerConfigError(`scheduler must be one of ${SCHEDULER_KINDS.join(', ')} (got ${JSON.stringify(kind)})`);
}

function kindFromClassName(className: string | null | undefined): SchedulerKind {
  if (className === null || className === undefined) {
    throw new SchedulerConfigError(`scheduler_config.json: _class_name is missing; add it (e.g. "DDIMScheduler") or choose a scheduler (${SCHEDULER_KINDS.join(', ')})`);
  }
  const kind = Object.hasOwn(SCHEDULER_CLASS_KINDS, className) ? SCHEDULER_CLASS_KINDS[className] : undefined;
  if (kind === undefined) {
    throw new SchedulerConfigError(
      `scheduler_config.json: _class_name ${JSON.stringify(className)} is not supported; use one of ${Object.keys(SCHEDULER_CLASS_KINDS).join(', ')} or choose a scheduler (${SCHEDULER_KINDS.join(', ')})`,
    );
  }
  return kind;
}
