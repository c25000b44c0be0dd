import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TRAIN_DEFAULTS } from './dreambooth-request.ts';
import { MODEL_SETTINGS_FILE, readTrainDefaults } from './train-defaults.ts';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teambooth-train-defaults-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readTrainDefaults', () => {
  it("gives SD 1.5's usual settings to a model without a settings file", async () => {
    expect(await readTrainDefaults(dir)).toEqual({ steps: TRAIN_DEFAULTS.steps, learningRate: TRAIN_DEFAULTS.learningRate, rank: TRAIN_DEFAULTS.rank, batchSize: 1 });
  });

  it("takes the model's own settings, each one it names", async () => {
    await writeFile(join(dir, MODEL_SETTINGS_FILE), JSON.stringify({ trainDefaults: { steps: 250, learningRate: 0.003, batchSize: 8 }, other: true }));
    expect(await readTrainDefaults(dir)).toEqual({ steps: 250, learningRate: 0.003, rank: TRAIN_DEFAULTS.rank, batchSize: 8 });
  });

  it('names the file and the field when the settings are wrong', async () => {
    await writeFile(join(dir, MODEL_SETTINGS_FILE), JSON.stringify({ trainDefaults: { steps: -1 } }));
    await expect(readTrainDefaults(dir)).rejects.toThrow(new RegExp(`${MODEL_SETTINGS_FILE} is not valid: .*steps`));
    await writeFile(join(dir, MODEL_SETTINGS_FILE), JSON.stringify({ trainDefaults: { batchSize: 64 } }));
    await expect(readTrainDefaults(dir)).rejects.toThrow(new RegExp(`${MODEL_SETTINGS_FILE} is not valid: .*batchSize`));
    await writeFile(join(dir, MODEL_SETTINGS_FILE), '{ nope');
    await expect(readTrainDefaults(dir)).rejects.toThrow(`${MODEL_SETTINGS_FILE} is not valid JSON`);
  });
});
