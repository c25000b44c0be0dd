import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModel } from '../onnx/read-model.ts';
import { ensureTinyModel } from '../tiny-model/index.ts';
import { findLoraTargets } from './find-lora-targets.ts';
import { initLoraWeights, type LoraWeights } from './lora-weights.ts';
import { withRandomUp } from './testing/lora-test-support.ts';
import { writeLoraMergedModel } from './write-lora-merged-model.ts';
import { firstImagePixels } from '../pipeline/testing/first-image-pixels.ts';

const logger = pino({ level: 'silent' });
let dir = '';
let base = '';
let lora: LoraWeights;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teambooth-merged-'));
  base = await ensureTinyModel(join(dir, 'models'));
  const unet = (await readModel(join(base, 'unet/model.onnx'))).graph;
  const trained = withRandomUp(initLoraWeights(findLoraTargets(unet), { rank: 4, seed: 2 }), 7, 0.2);
  const textLayer = { ...trained.layers[0]!, key: 'lora_te_text_model_encoder_layers_0_self_attn_q_proj' };
  lora = { layers: [...trained.layers, textLayer] };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const pixels = (model: string): Promise<Buffer> => firstImagePixels(model, logger);

describe('writeLoraMergedModel', () => {
  it('writes a loadable model whose images change with the LoRA and its strength', async () => {
    const merged = await writeLoraMergedModel(base, lora, join(dir, 'merged'));
    expect(merged).toMatchObject({ mergedLayers: 32, skippedLayers: ['lora_te_text_model_encoder_layers_0_self_attn_q_proj'] });
    expect((await stat(join(dir, 'merged', 'unet', 'config.json'))).isFile()).toBe(true);
    const off = await writeLoraMergedModel(base, lora, join(dir, 'off'), { multiplier: 0 });
    const [original, adapted, unchanged] = await Promise.all([pixels(base), pixels(merged.directory), pixels(off.directory)]);
    expect(adapted.equals(original)).toBe(false);
    expect(unchanged.equals(original)).toBe(true);
  });

  it('never overwrites a folder, and refuses a LoRA with no UNet layer', async () => {
    await expect(writeLoraMergedModel(base, lora, base)).rejects.toThrowError(/already exists; choose a new folder/);
    const textOnly = { layers: lora.layers.slice(-1) };
    await expect(writeLoraMergedModel(base, textOnly, join(dir, 'text-only'))).rejects.toThrowError(/the LoRA has no UNet layers \(keys starting with lora_unet_\); it holds 1 other layers/);
  });
});
