import { describe, expect, it } from 'vitest';
import { Prng } from '../random/prng.ts';
import { ClipTokenizer } from '../tokenizer/clip-tokenizer.ts';
import { buildTinyVocabulary } from '../tokenizer/tiny-vocabulary.ts';
import { allTinyWorldWords, TINY_WORLD_WORDS } from '../tokenizer/tiny-world-words.ts';
import { CAPTION_TEMPLATES, composeCaption } from './captions.ts';
import { datasetSample, EDGE_MARGIN, generateDataset, sampleTinyWorld } from './dataset.ts';
import { evaluationPrompts } from './evaluation-prompts.ts';
import { SHAPE_GEOMETRY } from './shape-geometry.ts';
import { SIZE_RADII, sizeClassOf } from './size-classes.ts';

const { vocab, merges } = buildTinyVocabulary();
const tokenizer = new ClipTokenizer(vocab, merges);
const words = new Set(allTinyWorldWords());

/** Every word of a caption is a tiny-world word, and encodes to exactly one token. */
function expectOneTokenPerWord(caption: string): void {
  for (const word of caption.split(' ')) {
    expect(words.has(word), `"${word}" of "${caption}"`).toBe(true);
    expect(tokenizer.tokenize(word), `"${word}" of "${caption}"`).toEqual([`${word}</w>`]);
  }
  expect(tokenizer.encode(caption).tokenCount).toBe(caption.split(' ').length);
}

describe('generateDataset', () => {
  const samples = generateDataset(11, 400);

  it('is deterministic, a prefix of any longer set, and different for another seed', () => {
    const again = generateDataset(11, 40);
    again.forEach((sample, i) => {
      expect(sample.caption).toBe(samples[i]!.caption);
      expect(sample.labels).toEqual(samples[i]!.labels);
      expect(sample.image.data).toEqual(samples[i]!.image.data);
    });
    expect(datasetSample(11, 399).labels).toEqual(samples[399]!.labels);
    const other = generateDataset(12, 40);
    expect(other.filter((s, i) => s.caption === samples[i]!.caption).length).toBeLessThan(4);
    expect(() => generateDataset(1, -1)).toThrow(RangeError);
  });

  it('draws the same sample from the same generator state', () => {
    expect(sampleTinyWorld(new Prng(5)).labels).toEqual(sampleTinyWorld(new Prng(5)).labels);
  });

  it('covers the whole vocabulary: every shape, colour (as shape and as background), size word and template', () => {
    const seen = (pick: (s: (typeof samples)[number]) => string | undefined) => new Set(samples.map(pick));
    expect(seen((s) => s.labels.shape)).toEqual(new Set(TINY_WORLD_WORDS.shapes));
    expect(seen((s) => s.labels.colour)).toEqual(new Set(TINY_WORLD_WORDS.colours));
    expect(seen((s) => s.labels.background)).toEqual(new Set(TINY_WORLD_WORDS.colours));
    expect(seen((s) => s.labels.size)).toEqual(new Set(['small', 'medium', 'large']));
    expect(seen((s) => s.labels.sizeWord)).toEqual(new Set([...TINY_WORLD_WORDS.sizes, undefined]));
    const templates = CAPTION_TEMPLATES.map((t) => new RegExp(`^${t.replace(/\{\w+\}/g, '\\w+').replace(/\ba\b/g, 'an?')}$`));
    for (const template of templates) expect(samples.some((s) => template.test(s.caption)), String(template)).toBe(true);
  });

  it('keeps labels consistent: different colours, radius within its size, turn within its shape, shape clear of the edge', () => {
    for (const { labels } of samples) {
      expect(labels.colour).not.toBe(labels.background);
      const [min, max] = SIZE_RADII[labels.size];
      expect(labels.radius).toBeGreaterThanOrEqual(min);
      expect(labels.radius).toBeLessThanOrEqual(max);
      expect(labels.scale).toBeCloseTo(labels.radius / 32, 12);
      expect(Math.abs(labels.rotationDeg)).toBeLessThanOrEqual(SHAPE_GEOMETRY[labels.shape].maxRotationDeg);
      for (const centre of [labels.x, labels.y]) {
        expect(centre - labels.radius).toBeGreaterThanOrEqual(EDGE_MARGIN);
        expect(centre + labels.radius).toBeLessThanOrEqual(64 - EDGE_MARGIN);
      }
      if (labels.sizeWord !== undefined) expect(sizeClassOf(labels.sizeWord)).toBe(labels.size);
    }
  });

  it('captions with vocabulary words only, one token each, naming what is drawn', () => {
    for (const { caption, labels } of samples) {
      expectOneTokenPerWord(caption);
      const tokens = caption.split(' ');
      expect(tokens).toContain(labels.shape);
      expect(tokens.indexOf(labels.colour)).toBe(tokens.indexOf(labels.shape) - 1);
      expect(tokens.slice(-2)).toEqual([labels.background, 'background']);
      if (labels.sizeWord !== undefined) expect(tokens).toContain(labels.sizeWord);
      else expect(tokens.filter((t) => (TINY_WORLD_WORDS.sizes as readonly string[]).includes(t))).toEqual([]);
      expect(caption).not.toMatch(/\ba [aeiou]|\ban [^aeiou]/);
    }
  });

  it('fixes articles before vowels', () => {
    expect(composeCaption('a image of a {colour} {shape} on a {background} background', { shape: 'arrow', colour: 'orange', background: 'red' })).toBe(
      'an image of an orange arrow on a red background',
    );
    expect(() => composeCaption('a {size} {shape}', { shape: 'star', colour: 'red', background: 'blue' })).toThrow(/needs a size word/);
  });
});

describe('evaluationPrompts', () => {
  const prompts = evaluationPrompts();

  it('lists 48 distinct prompts covering every shape, colour, background and size evenly', () => {
    expect(prompts.length).toBe(48);
    expect(new Set(prompts.map((p) => p.prompt)).size).toBe(48);
    const counts = (key: 'shape' | 'colour' | 'background' | 'size') => {
      const out = new Map<string, number>();
      for (const p of prompts) out.set(p[key], (out.get(p[key]) ?? 0) + 1);
      return out;
    };
    for (const shape of TINY_WORLD_WORDS.shapes) expect(counts('shape').get(shape)).toBe(4);
    for (const colour of TINY_WORLD_WORDS.colours) {
      expect(counts('colour').get(colour)).toBe(4);
      expect(counts('background').get(colour)).toBe(4);
    }
    for (const size of ['small', 'medium', 'large']) expect(counts('size').get(size)).toBe(16);
    for (const shape of TINY_WORLD_WORDS.shapes) expect(new Set(prompts.filter((p) => p.shape === shape).map((p) => p.size)).size).toBe(3);
  });

  it('never puts a shape on its own colour, and uses vocabulary words only', () => {
    for (const p of prompts) {
      expect(p.colour).not.toBe(p.background);
      expectOneTokenPerWord(p.prompt);
    }
    expect(evaluationPrompts()).toEqual(prompts);
  });
});
