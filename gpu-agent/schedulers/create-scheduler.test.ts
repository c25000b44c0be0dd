import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createScheduler } from './create-scheduler.ts';
import { loadSchedulerConfig, parseSchedulerConfig, resolveSchedulerSettings, SchedulerConfigError } from './scheduler-config.ts';

/** scheduler/scheduler_config.json of a Stable Diffusion 1.5 export. */
const SD15_PNDM = {
  _class_name: 'PNDMScheduler',
  _diffusers_version: '0.6.0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
  clip_sample: false,
};

describe('parseSchedulerConfig', () => {
  it('reads a real SD 1.5 config, tolerating fields it does not use', () => {
    const config = parseSchedulerConfig(SD15_PNDM);
    expect(config.beta_schedule).toBe('scaled_linear');
    expect(config.steps_offset).toBe(1);
    expect((config as Record<string, unknown>)['skip_prk_steps']).toBe(true);
  });

  it('refuses an unsupported beta_schedule, listing the allowed values', () => {
    expect(() => parseSchedulerConfig({ ...SD15_PNDM, beta_schedule: 'squaredcos_cap_v2' })).toThrow(
      'scheduler_config.json: beta_schedule must be one of scaled_linear, linear (got "squaredcos_cap_v2")',
    );
  });

  it('refuses other bad fields, one line each, naming the source', () => {
    let error: unknown;
    try {
      parseSchedulerConfig({ prediction_type: 'sample', timestep_spacing: 'karras', num_train_timesteps: 0.5 }, 'model/scheduler/scheduler_config.json');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SchedulerConfigError);
    const lines = (error as Error).message.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines).toContain('model/scheduler/scheduler_config.json: prediction_type must be one of epsilon, v_prediction (got "sample")');
    expect(lines).toContain('model/scheduler/scheduler_config.json: timestep_spacing must be one of leading, trailing, linspace (got "karras")');
    expect(lines.some((line) => line.startsWith('model/scheduler/scheduler_config.json: num_train_timesteps'))).toBe(true);
  });

  it('refuses features it does not implement, saying what to change', () => {
    expect(() => parseSchedulerConfig({ thresholding: true })).toThrow(/thresholding is not supported: set it to false/);
    expect(() => parseSchedulerConfig({ trained_betas: [0.1, 0.2] })).toThrow(/trained_betas is not supported/);
    expect(() => parseSchedulerConfig({ rescale_betas_zero_snr: true })).toThrow(/rescale_betas_zero_snr/);
    expect(() => parseSchedulerConfig({ beta_start: 0.02, beta_end: 0.01 })).toThrow(/beta_end \(0\.01\) must not be below beta_start/);
    expect(() => parseSchedulerConfig([1, 2])).toThrow(SchedulerConfigError);
  });
});

describe('resolveSchedulerSettings', () => {
  it("fills in each diffusers class's defaults", () => {
    const ddim = resolveSchedulerSettings('ddim', parseSchedulerConfig({}));
    expect(ddim).toMatchObject({ betaSchedule: 'linear', betaStart: 0.0001, betaEnd: 0.02, timestepSpacing: 'leading', setAlphaToOne: true, clipSample: true, stepsOffset: 0 });
    expect(resolveSchedulerSettings('euler', parseSchedulerConfig({})).timestepSpacing).toBe('linspace');
    expect(resolveSchedulerSettings('dpmpp-2m', parseSchedulerConfig({})).finalSigmasType).toBe('zero');
    const sd15 = resolveSchedulerSettings('ddim', parseSchedulerConfig(SD15_PNDM));
    expect(sd15).toMatchObject({ setAlphaToOne: false, clipSample: false, stepsOffset: 1, predictionType: 'epsilon' });
  });
});

describe('createScheduler', () => {
  it('picks the kind from _class_name, mapping PNDM to DDIM and LMS to Euler', () => {
    const kindOf = (className: string): string => createScheduler(undefined, { ...SD15_PNDM, _class_name: className }).kind;
    expect(kindOf('PNDMScheduler')).toBe('ddim');
    expect(kindOf('DDIMScheduler')).toBe('ddim');
    expect(kindOf('EulerDiscreteScheduler')).toBe('euler');
    expect(kindOf('LMSDiscreteScheduler')).toBe('euler');
    expect(kindOf('DPMSolverMultistepScheduler')).toBe('dpmpp-2m');
  });

  it('lets the caller override the class; the SD 1.5 config then runs as that scheduler', () => {
    const euler = createScheduler('euler', SD15_PNDM);
    expect(euler.kind).toBe('euler');
    expect(euler.setTimesteps(4)).toEqual([999, 666, 333, 0]);
    const ddim = createScheduler('ddim', SD15_PNDM);
    expect(ddim.setTimesteps(4)).toEqual([751, 501, 251, 1]);
    expect(createScheduler('dpmpp-2m', SD15_PNDM).setTimesteps(4)).toEqual([999, 749, 500, 250]);
  });

  it('refuses unknown kinds and classes, listing the allowed values', () => {
    expect(() => createScheduler('heun' as never, SD15_PNDM)).toThrow('scheduler must be one of ddim, euler, dpmpp-2m (got "heun")');
    expect(() => createScheduler(undefined, { ...SD15_PNDM, _class_name: 'FlowMatchEulerDiscreteScheduler' })).toThrow(/_class_name "FlowMatchEulerDiscreteScheduler" is not supported; use one of DDIMScheduler, PNDMScheduler/);
    expect(() => createScheduler(undefined, { beta_schedule: 'linear' })).toThrow(/_class_name is missing/);
    expect(() => createScheduler(undefined, { ...SD15_PNDM, _class_name: 'toString' })).toThrow(/is not supported/);
  });
});

describe('loadSchedulerConfig', () => {
  it('reads a file and names it in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'teambooth-scheduler-'));
    try {
      const path = join(dir, 'scheduler_config.json');
      await expect(loadSchedulerConfig(path)).rejects.toThrow(`${path} is missing`);
      await writeFile(path, '{"beta_schedule": ');
      await expect(loadSchedulerConfig(path)).rejects.toThrow(`${path} is not valid JSON`);
      await writeFile(path, JSON.stringify({ ...SD15_PNDM, beta_schedule: 'cosine' }));
      await expect(loadSchedulerConfig(path)).rejects.toThrow(`${path}: beta_schedule must be one of scaled_linear, linear (got "cosine")`);
      await writeFile(path, JSON.stringify(SD15_PNDM));
      expect((await loadSchedulerConfig(path))._class_name).toBe('PNDMScheduler');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
