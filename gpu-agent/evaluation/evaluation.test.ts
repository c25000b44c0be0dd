import { describe, expect, it } from 'vitest';
import type { TinyColour } from '../tokenizer/tiny-world-words.ts';
import { evaluationPrompts } from '../tiny-world/evaluation-prompts.ts';
import type { EvaluationPrompt } from '../tiny-world/evaluation-prompts.ts';
import { TinyWorldOracle } from '../tiny-world/oracle.ts';
import { renderShape } from '../tiny-world/render.ts';
import { renderSubject } from '../tiny-world/render-subject.ts';
import { SIZE_RADII } from '../tiny-world/size-classes.ts';
import { SUBJECT_GLYPHS } from '../tiny-world/subject-glyphs.ts';
import { subjectPhotos } from '../tiny-world/subject-photos.ts';
import { baseDrift } from './base-drift.ts';
import { contextBackgrounds, measureContextFidelity } from './context-fidelity.ts';
import { evaluateModel } from './evaluate-model.ts';
import type { EvaluationProgress } from './evaluation-run.ts';
import { evaluationSubject } from './evaluation-subject.ts';
import type { ImageRequest, ImageSource } from './image-source.ts';
import { measurePromptFidelity } from './prompt-fidelity.ts';
import { measureSubjectFidelity } from './subject-fidelity.ts';

const oracle = new TinyWorldOracle();
const PROMPTS = new Map(evaluationPrompts().map((p) => [p.prompt, p]));
const glyph = SUBJECT_GLYPHS.find((g) => g.name === 'smiley')!;
const subject = evaluationSubject(oracle, { token: 'zxq', classNoun: glyph.classNoun, photos: subjectPhotos(glyph, 7, 6).map((p) => p.image), colours: glyph.colours });

/** A placement that moves a little with the seed, as a model's images would. */
const placement = (seed: number, radius: number) => ({ x: 30 + (seed % 3) * 2, y: 34 - (seed % 2) * 3, radius, rotationDeg: 0 });

/** A "model" that draws exactly what each base prompt asks for, with the generator's renderer. */
const faithfulModel: ImageSource = async ({ prompt, seed }) => {
  const p = PROMPTS.get(prompt)!;
  const [min, max] = SIZE_RADII[p.size];
  return renderShape({ ...p, ...placement(seed, (min + max) / 2) });
};

/** Another colour than `colour` (and than `avoid`). */
const otherColour = (colour: TinyColour, avoid: readonly TinyColour[] = []): TinyColour =>
  (['gray', 'cyan', 'brown', 'pink', 'white'] as const).find((c) => c !== colour && !avoid.includes(c))!;

/** The subject, drawn on the background its context prompt asks for (`wrong`: on another one). */
const subjectModel =
  (wrong = false): ImageSource =>
  async ({ prompt, seed }) => {
    const asked = /on an? (\w+) background$/.exec(prompt)?.[1] as TinyColour | undefined;
    const background = asked === undefined ? 'gray' : wrong ? otherColour(asked, glyph.colours) : asked;
    return renderSubject(glyph, background, placement(seed, 18));
  };

describe('measurePromptFidelity', () => {
  it("scores the generator's own images as 100 % on every attribute, with one image per prompt and seed", async () => {
    const progress: EvaluationProgress[] = [];
    const result = await measurePromptFidelity(faithfulModel, { seeds: 2, oracle, onProgress: (p) => progress.push(p) });
    for (const figure of [result.all, result.background, result.colour, result.shape]) expect(figure).toEqual({ value: 1, images: 96 });
    expect(result.cases.map((c) => c.seed).slice(0, 4)).toEqual([0, 1, 0, 1]);
    expect(progress.length).toBe(96);
    expect(progress.at(-1)).toEqual({ stage: 'prompt-fidelity', done: 96, total: 96 });
  });

  it('scores each attribute on its own: a model that gets only the background wrong has 0 % fidelity and 100 % shape', async () => {
    const wrongBackground: ImageSource = async (request) => {
      const p = PROMPTS.get(request.prompt)!;
      const [min, max] = SIZE_RADII[p.size];
      return renderShape({ ...p, background: otherColour(p.background, [p.colour]), ...placement(request.seed, (min + max) / 2) });
    };
    const result = await measurePromptFidelity(wrongBackground, { seeds: 1, oracle });
    expect(result.all).toEqual({ value: 0, images: 48 });
    expect(result.background).toEqual({ value: 0, images: 48 });
    expect(result.colour.value).toBe(1);
    expect(result.shape.value).toBe(1);
  });

  it('splits shape accuracy by the asked size: a model that draws every small shape as a ring loses shape on small prompts only', async () => {
    const ringsWhenSmall: ImageSource = async (request) => {
      const p = PROMPTS.get(request.prompt)!;
      const [min, max] = SIZE_RADII[p.size];
      return renderShape({ ...p, shape: p.size === 'small' ? 'ring' : p.shape, ...placement(request.seed, (min + max) / 2) });
    };
    const result = await measurePromptFidelity(ringsWhenSmall, { seeds: 1, oracle });
    // The 48 prompts ask for each size 16 times; one of the 16 small ones asks for a ring.
    expect(result.shapeBySize).toEqual({ small: { value: 1 / 16, images: 16 }, medium: { value: 1, images: 16 }, large: { value: 1, images: 16 } });
    expect(result.shape).toEqual({ value: 33 / 48, images: 48 });
    const figures = (await evaluateModel({ source: ringsWhenSmall, seeds: 1, oracle })).figures;
    expect([figures.shapeAccuracySmall, figures.shapeAccuracyMedium, figures.shapeAccuracyLarge]).toEqual([result.shapeBySize.small, result.shapeBySize.medium, result.shapeBySize.large]);
  });

  it('asks the source for seeds 0..N-1 of each prompt, in order, and stops when aborted', async () => {
    const asked: ImageRequest[] = [];
    const prompts: EvaluationPrompt[] = evaluationPrompts().slice(0, 2);
    await measurePromptFidelity(async (r) => (asked.push(r), faithfulModel(r)), { seeds: 3, prompts, oracle });
    expect(asked).toEqual(prompts.flatMap((p) => [0, 1, 2].map((seed) => ({ prompt: p.prompt, seed }))));
    const abort = new AbortController();
    abort.abort(new DOMException('stop', 'AbortError'));
    await expect(measurePromptFidelity(faithfulModel, { seeds: 1, signal: abort.signal })).rejects.toMatchObject({ name: 'AbortError' });
    await expect(measurePromptFidelity(faithfulModel, { seeds: 0 })).rejects.toThrow(/positive whole number of seeds/);
  });
});

describe('measureSubjectFidelity', () => {
  it('scores a model that draws the subject clearly above one that draws a plain yellow disc, on "a photo of <token> <class>"', async () => {
    const asked: string[] = [];
    const good = await measureSubjectFidelity(async (r) => (asked.push(r.prompt), subjectModel()(r)), subject, { seeds: 3, oracle });
    const plain: ImageSource = async ({ seed }) => renderShape({ shape: 'circle', colour: 'yellow', background: 'gray', ...placement(seed, 18) });
    const base = await measureSubjectFidelity(plain, subject, { seeds: 3, oracle });
    expect(asked).toEqual(['a photo of zxq symbol', 'a photo of zxq symbol', 'a photo of zxq symbol']);
    expect(good.similarity.images).toBe(3);
    expect(good.similarity.value).toBeGreaterThan(0.7);
    expect(good.similarity.value).toBeGreaterThan(base.similarity.value + 0.1);
    expect(good.best.value).toBeGreaterThanOrEqual(good.similarity.value);
  });
});

describe('measureContextFidelity', () => {
  it('is 100 % for a model that puts the subject on the asked background, and 0 % for one that ignores it', async () => {
    const backgrounds = contextBackgrounds(glyph.colours, 3);
    expect(backgrounds).toEqual(['green', 'blue', 'white']);
    const good = await measureContextFidelity(subjectModel(), subject, { seeds: 2, oracle, backgrounds });
    expect(good.background).toEqual({ value: 1, images: 6 });
    expect(good.similarity.images).toBe(6);
    expect(good.similarity.value).toBeGreaterThan(0.7);
    expect(good.perBackground.blue).toEqual({ value: 1, images: 2 });
    const wrong = await measureContextFidelity(subjectModel(true), subject, { seeds: 2, oracle, backgrounds });
    expect(wrong.background).toEqual({ value: 0, images: 6 });
    expect(wrong.similarity.value).toBeGreaterThan(0.7);
  });

  it("never asks for one of the subject's own colours as the background", async () => {
    expect(contextBackgrounds(['green', 'blue'], 2)).toEqual(['white', 'red']);
    await expect(measureContextFidelity(subjectModel(), subject, { seeds: 1, backgrounds: ['yellow'] })).rejects.toThrow(/partly yellow/);
  });
});

describe('baseDrift and evaluateModel', () => {
  /** Right on the first half of the prompts, background wrong on the second half. */
  const halfBroken: ImageSource = async (request) => {
    const index = evaluationPrompts().findIndex((p) => p.prompt === request.prompt);
    const image = await faithfulModel(request);
    if (index < 24) return image;
    const p = PROMPTS.get(request.prompt)!;
    const [min, max] = SIZE_RADII[p.size];
    return renderShape({ ...p, background: otherColour(p.background, [p.colour]), ...placement(request.seed, (min + max) / 2) });
  };

  it('reports the difference of prompt fidelity, over the images of both runs', async () => {
    const base = await measurePromptFidelity(faithfulModel, { seeds: 1, oracle });
    const adapted = await measurePromptFidelity(halfBroken, { seeds: 1, oracle });
    expect(baseDrift(base, adapted)).toEqual({ base: { value: 1, images: 48 }, adapted: { value: 0.5, images: 48 }, drift: { value: -0.5, images: 96 }, flipped: 24 });
    const other = await measurePromptFidelity(faithfulModel, { seeds: 2, oracle });
    expect(() => baseDrift(other, adapted)).toThrow(/same prompts and seeds/);
  });

  it('gives only the figures that apply: prompt fidelity alone, or everything with a base model and a subject', async () => {
    const prompts = evaluationPrompts().slice(0, 6);
    const alone = await evaluateModel({ source: faithfulModel, seeds: 1, prompts, oracle });
    expect(Object.keys(alone.figures).sort()).toEqual(['backgroundAccuracy', 'colourAccuracy', 'promptFidelity', 'shapeAccuracy', 'shapeAccuracyLarge', 'shapeAccuracyMedium', 'shapeAccuracySmall']);
    const both: ImageSource = async (r) => (PROMPTS.has(r.prompt) ? faithfulModel(r) : subjectModel()(r));
    const stages = new Set<string>();
    const full = await evaluateModel({ source: both, base: { source: both }, subject, seeds: 2, prompts, oracle, onProgress: (p) => stages.add(p.stage) });
    expect(full.figures).toMatchObject({
      promptFidelity: { value: 1, images: 12 },
      basePromptFidelity: { value: 1, images: 12 },
      baseDrift: { value: 0, images: 24 },
      contextFidelity: { value: 1, images: 8 },
    });
    expect(full.figures.subjectFidelity!.images).toBe(2);
    expect(full.figures.baseSubjectFidelity!.images).toBe(2);
    expect(full.figures.contextSubjectFidelity!.images).toBe(8);
    expect([...stages]).toEqual(['prompt-fidelity', 'base-prompt-fidelity', 'subject-fidelity', 'base-subject-fidelity', 'context-fidelity']);
  });
});

