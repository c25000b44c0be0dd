import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLoraMergedModel } from '../lora/write-lora-merged-model.ts';
import { loadStableDiffusionModel } from '../pipeline/model-directory.ts';
import type { StableDiffusionModel } from '../pipeline/model-directory.ts';
import { ensureTinyModel } from '../tiny-model/ensure-tiny-model.ts';
import { TinyWorldOracle } from '../tiny-world/oracle.ts';
import { readSubjectFixture } from '../tiny-world/subject-fixtures.ts';
import { trainDreamBoothLora } from '../training/train-dreambooth-lora.ts';
import { evaluationSubject } from './evaluation-subject.ts';
import { pipelineImageSource } from './image-source.ts';
import { measureSubjectFidelity } from './subject-fidelity.ts';

const SUBJECT = fileURLToPath(new URL('../../test/fixtures/subjects/lightning/', import.meta.url));
/**
 * A short fine-tune: a fifth of the steps of `teambooth train`'s defaults for the tiny model (1000
 * steps of 8 photos at 2.5e-3, from its `teambooth.json`), one photo per step, at a learning rate
 * high enough for them to count.
 */
const FINE_TUNE = { steps: 200, learningRate: 3e-3, rank: 4, alpha: 4, seed: 1 } as const;
const SAMPLING = { steps: 10, guidanceScale: 7.5 } as const;
const SEEDS = 4;

const logger = pino({ level: 'silent' });
let dir = '';
const models: StableDiffusionModel[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teambooth-fine-tune-fidelity-'));
});
afterAll(async () => {
  for (const model of models) await model.release();
  await rm(dir, { recursive: true, force: true });
});

describe('subject fidelity of a fine-tune', () => {
  it("rises clearly above the base model's on the same prompt after a short DreamBooth-LoRA run on one fixture subject", async () => {
    const baseDirectory = await ensureTinyModel(join(dir, 'models'));
    const base = await loadStableDiffusionModel(baseDirectory, { device: 'cpu', logger });
    models.push(base);
    const fixture = await readSubjectFixture(SUBJECT);
    const oracle = new TinyWorldOracle();
    const subject = evaluationSubject(oracle, { token: 'zxq', classNoun: fixture.manifest.classNoun, photos: fixture.photos, colours: fixture.manifest.colours });
    const before = await measureSubjectFidelity(pipelineImageSource(base, SAMPLING), subject, { seeds: SEEDS, oracle });

    const images = await Promise.all(fixture.manifest.photos.map(async (p) => ({ name: p.file, data: new Uint8Array(await readFile(join(SUBJECT, p.file))) })));
    const trained = await trainDreamBoothLora(base, { images, token: 'zxq', classWord: fixture.manifest.classNoun, ...FINE_TUNE }, { workDir: dir });
    const merged = await writeLoraMergedModel(baseDirectory, trained.lora, join(dir, 'merged'));
    const adapted = await loadStableDiffusionModel(merged.directory, { device: 'cpu', logger });
    models.push(adapted);
    const after = await measureSubjectFidelity(pipelineImageSource(adapted, SAMPLING), subject, { seeds: SEEDS, oracle });

    expect(before.similarity.images).toBe(SEEDS);
    expect(after.similarity.images).toBe(SEEDS);
    expect(after.similarity.value, `base ${before.similarity.value.toFixed(3)}, fine-tuned ${after.similarity.value.toFixed(3)}`).toBeGreaterThan(before.similarity.value + 0.1);
  });
});
