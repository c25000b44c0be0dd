import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { SchedulerKind } from './scheduler.ts';

/** `beta_schedule` values the agent implements. */
export const BETA_SCHEDULES = ['scaled_linear', 'linear'] as const;
/** `prediction_type` values the agent implements. */
export const PREDICTION_TYPES = ['epsilon', 'v_prediction'] as const;
/** `timestep_spacing` values the agent implements. */
export const TIMESTEP_SPACINGS = ['leading', 'trailing', 'linspace'] as const;
/** `final_sigmas_type` values (Euler, DPM-Solver++). */
export const FINAL_SIGMAS_TYPES = ['zero', 'sigma_min'] as const;

/** A `scheduler_config.json` whose content the agent cannot use; the message names each field. */
export class SchedulerConfigError extends Error {
  override readonly name = 'SchedulerConfigError';
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: (issue) => `must be one of ${values.join(', ')} (got ${JSON.stringify(issue.input)})` });
}

function unsupported(hint: string) {
  return z.unknown().refine((value) => value === undefined || value === null || value === false, { message: `is not supported: ${hint}` }).optional();
}

/**
 * The fields of a diffusers `scheduler_config.json` that the agent reads, under their diffusers
 * names. Every field is optional (diffusers fills in per-class defaults, see
 * {@link resolveSchedulerSettings}); unknown fields (`_diffusers_version`, `skip_prk_steps`,
 * `algorithm_type`, ...) are tolerated and ignored. `null` counts as absent.
 */
export const schedulerConfigSchema = z.looseObject({
  _class_name: z.string().nullish(),
  num_train_timesteps: z.number().int().min(2).max(100_000).nullish(),
  beta_start: z.number().gt(0).lt(1).nullish(),
  beta_end: z.number().gt(0).lt(1).nullish(),
  beta_schedule: oneOf(BETA_SCHEDULES).nullish(),
  prediction_type: oneOf(PREDICTION_TYPES).nullish(),
  steps_offset: z.number().int().min(0).nullish(),
  timestep_spacing: oneOf(TIMESTEP_SPACINGS).nullish(),
  set_alpha_to_one: z.boolean().nullish(),
  clip_sample: z.boolean().nullish(),
  clip_sample_range: z.number().gt(0).nullish(),
  use_karras_sigmas: z.boolean().nullish(),
  final_sigmas_type: oneOf(FINAL_SIGMAS_TYPES).nullish(),
  lower_order_final: z.boolean().nullish(),
  euler_at_final: z.boolean().nullish(),
  trained_betas: unsupported('remove it (or set it to null) and give beta_start, beta_end and beta_schedule'),
  thresholding: unsupported('set it to false'),
  rescale_betas_zero_snr: unsupported('set it to false'),
});

/** A parsed `scheduler_config.json`. */
export type SchedulerConfig = z.infer<typeof schedulerConfigSchema>;

/**
 * Validates a parsed `scheduler_config.json`.
 * @param source named in error messages, e.g. the file path.
 * @throws SchedulerConfigError with one line per bad field, saying what to change.
 */
export function parseSchedulerConfig(json: unknown, source = 'scheduler_config.json'): SchedulerConfig {
  const result = schedulerConfigSchema.safeParse(json);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `${source}: ${issue.path.length === 0 ? 'the config' : issue.path.join('.')} ${issue.message}`);
    throw new SchedulerConfigError(lines.join('\n'));
  }
  const config = result.data;
  if (config.beta_start != null && config.beta_end != null && config.beta_end < config.beta_start) {
    throw new SchedulerConfigError(`${source}: beta_end (${config.beta_end}) must not be below beta_start (${config.beta_start})`);
  }
  return config;
}

/** Reads and validates a `scheduler_config.json` file. */
export async function loadSchedulerConfig(path: string, signal?: AbortSignal): Promise<SchedulerConfig> {
  let text: string;
  try {
    text = await readFile(path, { encoding: 'utf8', ...(signal === undefined ? {} : { signal }) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new SchedulerConfigError(`${path} is missing`);
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SchedulerConfigError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseSchedulerConfig(json, path);
}

/** A scheduler config with every default filled in for one scheduler kind. */
export interface SchedulerSettings {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: (typeof BETA_SCHEDULES)[number];
  predictionType: (typeof PREDICTION_TYPES)[number];
  stepsOffset: number;
  timestepSpacing: (typeof TIMESTEP_SPACINGS)[number];
  /** DDIM: the final step goes to alpha_bar = 1 (true) or to alpha_bar[0] (false). */
  setAlphaToOne: boolean;
  /** DDIM: clamp the predicted x0 to [-clipSampleRange, clipSampleRange]. */
  clipSample: boolean;
  clipSampleRange: number;
  /** Euler, DPM-Solver++: Karras et al. (2022) sigmas (rho = 7) instead of the interpolated ones. */
  useKarrasSigmas: boolean;
  /** Euler, DPM-Solver++: the sigma after the last step. */
  finalSigmasType: (typeof FINAL_SIGMAS_TYPES)[number];
  /** DPM-Solver++: first order on the last step when there are fewer than 15 steps. */
  lowerOrderFinal: boolean;
  /** DPM-Solver++: first order on the last step always. */
  eulerAtFinal: boolean;
}

/**
 * Fills in the defaults each diffusers class uses for fields the config leaves out, so a config
 * written for one class behaves under another as `OtherScheduler.from_config(config)` would:
 * betas 0.0001..0.02 `linear`, `epsilon`, steps_offset 0; DDIM: `leading` spacing,
 * set_alpha_to_one and clip_sample true; Euler and DPM-Solver++: `linspace` spacing, final sigma 0.
 */
export function resolveSchedulerSettings(kind: SchedulerKind, config: SchedulerConfig): SchedulerSettings {
  return {
    numTrainTimesteps: config.num_train_timesteps ?? 1000,
    betaStart: config.beta_start ?? 0.0001,
    betaEnd: config.beta_end ?? 0.02,
    betaSchedule: config.beta_schedule ?? 'linear',
    predictionType: config.prediction_type ?? 'epsilon',
    stepsOffset: config.steps_offset ?? 0,
    timestepSpacing: config.timestep_spacing ?? (kind === 'ddim' ? 'leading' : 'linspace'),
    setAlphaToOne: config.set_alpha_to_one ?? true,
    clipSample: config.clip_sample ?? true,
    clipSampleRange: config.clip_sample_range ?? 1,
    useKarrasSigmas: config.use_karras_sigmas ?? false,
    finalSigmasType: config.final_sigmas_type ?? 'zero',
    lowerOrderFinal: config.lower_order_final ?? true,
    eulerAtFinal: config.euler_at_final ?? false,
  };
}
