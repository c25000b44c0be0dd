import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModel } from '../tiny-model/ensure-tiny-model.ts';
import { ModelHost, modelVersionOf, TINY_MODEL_VERSION } from './model-host.ts';

let dir = '';
let tiny = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teambooth-model-host-'));
  tiny = await ensureTinyModel(join(dir, 'models'), { logger: pino({ level: 'silent' }) });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ModelHost', () => {
  it('runs jobs on the version they name, and releases versions beyond the newest two once no job uses them', async () => {
    const released: string[] = [];
    const loads: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void (JSON.parse(line).msg === 'model version released' && released.push(JSON.parse(line).version)) });
    // Every version is the tiny model's folder here; what matters is which version stays loaded.
    const host = new ModelHost({ source: async (version) => (loads.push(version), tiny), device: 'cpu', logger, keepLoaded: 2 });
    const signal = new AbortController().signal;
    let finishV1: () => void = () => {};
    const v1 = host.use('v1', signal, () => new Promise<void>((resolve) => (finishV1 = resolve)));
    await host.use('v2', signal, async () => {});
    await host.use('v3', signal, async () => {});
    // v1 is still running a job: it stays loaded.
    expect(released).toEqual([]);
    finishV1();
    await v1;
    expect(released).toEqual(['v1']);
    await host.use('v2', signal, async () => {});
    await host.use('v3', signal, async () => {});
    expect(loads).toEqual(['v1', 'v2', 'v3']);
    await host.use('v1', signal, async () => {});
    expect(loads).toEqual(['v1', 'v2', 'v3', 'v1']);
    expect(released).toEqual(['v1', 'v2']);
    await host.release();
  });

  it('uses the built-in model for jobs from before the cluster had a version', () => {
    expect(modelVersionOf({ modelVersion: null })).toBe(TINY_MODEL_VERSION);
    expect(modelVersionOf({ modelVersion: 'v4' })).toBe('v4');
  });
});
