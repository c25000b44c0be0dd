import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Prng } from '../random/prng.ts';
import { TINY_WORLD_WORDS } from '../tokenizer/tiny-world-words.ts';
import { degradeImage } from './degrade-image.ts';
import { TinyWorldOracle } from './oracle.ts';
import { renderShape } from './render.ts';
import { readSubjectFixtures } from './subject-fixtures.ts';
import { SUBJECT_GLYPHS } from './subject-glyphs.ts';
import { SUBJECT_FIXTURE_PHOTOS, SUBJECT_FIXTURE_SEED, subjectPhotos } from './subject-photos.ts';
import type { SubjectSignature } from './subject-signature.ts';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/subjects/', import.meta.url));
const oracle = new TinyWorldOracle();

describe('fixture subjects', () => {
  it('are on disk as the script makes them: manifests and pixels match the renderer', async () => {
    const fixtures = await readSubjectFixtures(FIXTURES);
    expect(fixtures.map((f) => f.manifest.name)).toEqual(SUBJECT_GLYPHS.map((g) => g.name).sort());
    expect(fixtures.length).toBeGreaterThanOrEqual(6);
    for (const { manifest, photos } of fixtures) {
      const glyph = SUBJECT_GLYPHS.find((g) => g.name === manifest.name)!;
      expect(manifest.classNoun).toBe(glyph.classNoun);
      expect(manifest.colours).toEqual(glyph.colours);
      expect(photos.length).toBeGreaterThanOrEqual(4);
      expect(photos.length).toBeLessThanOrEqual(8);
      const expected = subjectPhotos(glyph, SUBJECT_FIXTURE_SEED, SUBJECT_FIXTURE_PHOTOS);
      expect(new Set(manifest.photos.map((p) => p.background)).size).toBe(photos.length);
      photos.forEach((photo, i) => {
        expect(photo.data, `${manifest.name} photo ${i + 1}: run scripts/make-subject-fixtures.ts`).toEqual(expected[i]!.image.data);
        expect(manifest.photos[i]!.background).toBe(expected[i]!.background);
        expect(manifest.photos[i]!.radius).toBeCloseTo(expected[i]!.radius, 2);
        expect(glyph.colours).not.toContain(manifest.photos[i]!.background);
      });
    }
  });
});

describe('TinyWorldOracle.subjectSimilarity', () => {
  const photos = new Map(SUBJECT_GLYPHS.map((g) => [g.name, subjectPhotos(g, SUBJECT_FIXTURE_SEED, SUBJECT_FIXTURE_PHOTOS)]));
  // Photo 1 is held out; photos 2.. are the references.
  const references = new Map<string, SubjectSignature[]>(
    SUBJECT_GLYPHS.map((g) => [g.name, photos.get(g.name)!.slice(1).map((p) => oracle.signature(p.image)!)]),
  );

  /** The best similarity of a held-out photo to any base shape drawn in the subject's main colour. */
  const bestBaseShape = (held: SubjectSignature, colour: (typeof TINY_WORLD_WORDS.colours)[number]): number => {
    const background = colour === 'gray' ? 'white' : 'gray';
    return Math.max(
      ...TINY_WORLD_WORDS.shapes.map(
        (shape) => oracle.subjectSimilarity(held, [renderShape({ shape, colour, background, x: 32, y: 32, radius: 17, rotationDeg: 0 })]).similarity,
      ),
    );
  };

  it.each(SUBJECT_GLYPHS.map((g) => [g.name, g] as const))(
    'scores a held-out photo of %s clearly higher against its own references than against other subjects or base shapes',
    (name, glyph) => {
      for (const degraded of [false, true]) {
        const image = photos.get(name)![0]!.image;
        const held = oracle.signature(degraded ? degradeImage(image, { blurSigma: 0.8, noiseSigma: 6 }, new Prng(5)) : image)!;
        const own = oracle.subjectSimilarity(held, references.get(name)!);
        const others = SUBJECT_GLYPHS.filter((g) => g.name !== name).map((g) => oracle.subjectSimilarity(held, references.get(g.name)!).similarity);
        expect(own.similarity, `${name}${degraded ? ' (degraded)' : ''}`).toBeGreaterThan(Math.max(...others) + 0.25);
        expect(own.similarity, `${name}${degraded ? ' (degraded)' : ''}`).toBeGreaterThan(bestBaseShape(held, glyph.colours[0]!) + 0.1);
        expect(own.best).toBeGreaterThanOrEqual(own.similarity);
        expect(own.perReference.length).toBe(SUBJECT_FIXTURE_PHOTOS - 1);
      }
    },
  );

  it('is 1 for an image against itself, symmetric, in [0, 1], and 0 for an empty image', () => {
    const a = photos.get('smiley')![1]!.image;
    const b = photos.get('key')![2]!.image;
    expect(oracle.subjectSimilarity(a, [a]).similarity).toBeCloseTo(1, 6);
    const ab = oracle.subjectSimilarity(a, [b]).similarity;
    expect(ab).toBeCloseTo(oracle.subjectSimilarity(b, [a]).similarity, 9);
    expect(ab).toBeGreaterThanOrEqual(0);
    expect(ab).toBeLessThan(1);
    const blank = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(128) };
    expect(oracle.signature(blank)).toBeUndefined();
    expect(oracle.subjectSimilarity(blank, [a]).similarity).toBe(0);
    expect(() => oracle.subjectSimilarity(a, [])).toThrow(/at least one reference/);
  });

  it('tells a two-colour subject from the same outline in one colour', () => {
    const held = oracle.signature(photos.get('half-square')![0]!.image)!;
    const own = oracle.subjectSimilarity(held, references.get('half-square')!);
    const plain = oracle.subjectSimilarity(held, [renderShape({ shape: 'square', colour: 'blue', background: 'gray', x: 32, y: 32, radius: 17, rotationDeg: 0 })]);
    expect(plain.perReference[0]!.shape).toBeGreaterThan(0.85);
    expect(own.similarity).toBeGreaterThan(plain.similarity + 0.2);
  });
});
