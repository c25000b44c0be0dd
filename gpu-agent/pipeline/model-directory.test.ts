import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModel } from '../tiny-model/index.ts';
import { loadStableDiffusionModel, ModelDirectoryError } from './model-directory.ts';
import { readCommittedWeights } from '../tiny-model/trained-weights.ts';

const logger = pino({ level: 'silent' });
let dir = '';
let source = '';
let copies = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teambooth-model-dir-'));
  source = await ensureTinyModel(join(dir, 'models'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A copy of the tiny model, damaged by `damage`. */
async function damaged(damage: (copy: string) => Promise<void>): Promise<string> {
  const copy = join(dir, `copy-${copies++}`);
  await cp(source, copy, { recursive: true });
  await damage(copy);
  return copy;
}

const loadError = async (path: string): Promise<string> => {
  const error = await loadStableDiffusionModel(path, { device: 'cpu', logger }).then(
    async (model) => {
      await model.release();
      return undefined;
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ModelDirectoryError);
  return (error as Error).message;
};

describe('loadStableDiffusionModel', () => {
  it('loads the tiny model: sessions, tokenizer, scheduler config, sizes from metadata', async () => {
    const model = await loadStableDiffusionModel(source, { device: 'cpu', logger });
    try {
      expect(model).toMatchObject({ name: 'teambooth-tiny', provider: 'cpu', directory: source });
      expect(model.geometry).toMatchObject({ latentChannels: 4, latentScale: 8, nativeWidth: 64, nativeHeight: 64, maxTokens: 77, scalingFactor: (await readCommittedWeights())?.weights.scalingFactor ?? 0.18215 });
      expect(model.schedulerConfig._class_name).toBe('DDIMScheduler');
      expect(model.io.timestep.dtype).toBe('int64');
    } finally {
      await model.release();
    }
  });

  it('names every missing file at once', async () => {
    const path = await damaged(async (copy) => {
      await rm(join(copy, 'unet/model.onnx'));
      await rm(join(copy, 'tokenizer/merges.txt'));
    });
    expect(await loadError(path)).toMatch(/lacks unet\/model\.onnx, tokenizer\/merges\.txt .*diffusers ONNX export/);
    expect(await loadError(join(dir, 'nowhere'))).toMatch(/does not exist or is not a directory/);
  });

  it('names a corrupt ONNX file', async () => {
    const path = await damaged((copy) => writeFile(join(copy, 'vae_decoder/model.onnx'), 'not protobuf at all'));
    expect(await loadError(path)).toMatch(/^vae_decoder\/model\.onnx of model .* cannot be loaded/);
  });

  it('names a missing external weights file', async () => {
    const path = await damaged((copy) => rm(join(copy, 'unet/model.onnx_data')));
    expect(await loadError(path)).toMatch(/^unet\/model\.onnx of model .* cannot be loaded/);
  });

  it('names a corrupt JSON config and a bad scheduler field', async () => {
    const json = await damaged((copy) => writeFile(join(copy, 'unet/config.json'), '{ "sample_size": '));
    expect(await loadError(json)).toMatch(/unet\/config\.json is not valid JSON/);
    const config = await damaged((copy) => writeFile(join(copy, 'vae_decoder/config.json'), JSON.stringify({ scaling_factor: -1 })));
    expect(await loadError(config)).toMatch(/vae_decoder\/config\.json: scaling_factor/);
    const scheduler = await damaged((copy) => writeFile(join(copy, 'scheduler/scheduler_config.json'), JSON.stringify({ beta_schedule: 'cosine' })));
    expect(await loadError(scheduler)).toMatch(/scheduler_config\.json: beta_schedule must be one of scaled_linear, linear/);
  });

  it('names a broken tokenizer', async () => {
    const path = await damaged((copy) => writeFile(join(copy, 'tokenizer/vocab.json'), '[1, 2]'));
    expect(await loadError(path)).toMatch(/tokenizer of model .*vocab\.json/);
  });
});
