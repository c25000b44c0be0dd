import { describe, expect, it } from 'vitest';
import { TINY_WORLD_WORDS } from '../tokenizer/tiny-world-words.ts';
import { deltaE, rgbToLab } from './lab-colour.ts';
import { nearestTinyColour } from './nearest-colour.ts';
import { TINY_COLOURS, TINY_PALETTE } from './palette.ts';
import { renderShape } from './render.ts';
import { SHAPE_GEOMETRY } from './shape-geometry.ts';
import { SUBJECT_GLYPHS } from './subject-glyphs.ts';

/** Fraction of the square [-1.1, 1.1]² inside a figure, and its farthest inside point from the origin. */
function coverage(inside: (u: number, v: number) => boolean): { area: number; reach: number } {
  const n = 220;
  let hits = 0;
  let reach = 0;
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const u = -1.1 + (2.2 * (i + 0.5)) / n;
      const v = -1.1 + (2.2 * (j + 0.5)) / n;
      if (!inside(u, v)) continue;
      hits++;
      reach = Math.max(reach, Math.hypot(u, v));
    }
  }
  return { area: (hits / (n * n)) * 2.2 * 2.2, reach };
}

const pixel = (image: { data: Uint8Array; width: number }, x: number, y: number): number[] =>
  Array.from(image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3));

describe('tiny-world palette', () => {
  it('gives every colour word a value at least 40 ΔE from every other, and names each value after itself', () => {
    expect(TINY_COLOURS).toEqual(TINY_WORLD_WORDS.colours);
    expect(TINY_COLOURS.length).toBeGreaterThanOrEqual(8);
    for (const a of TINY_COLOURS) {
      const reading = nearestTinyColour(TINY_PALETTE[a]);
      expect(reading.colour).toBe(a);
      expect(reading.distance).toBeLessThan(1e-9);
      expect(reading.confidence).toBeGreaterThan(0.99);
      for (const b of TINY_COLOURS) if (a < b) expect(deltaE(rgbToLab(TINY_PALETTE[a]), rgbToLab(TINY_PALETTE[b])), `${a}/${b}`).toBeGreaterThan(40);
    }
  });

  it('is less sure of a colour halfway between two palette colours', () => {
    const [r1, g1, b1] = TINY_PALETTE.red;
    const [r2, g2, b2] = TINY_PALETTE.orange;
    const reading = nearestTinyColour([(r1 + r2) / 2, (g1 + g2) / 2, (b1 + b2) / 2]);
    expect(['red', 'orange']).toContain(reading.colour);
    expect(reading.confidence).toBeLessThan(0.8);
  });
});

describe('shape and subject geometry', () => {
  it('draws every shape word, each inside the unit disc and covering a fair part of it', () => {
    expect(Object.keys(SHAPE_GEOMETRY).sort()).toEqual([...TINY_WORLD_WORDS.shapes].sort());
    for (const [shape, geometry] of Object.entries(SHAPE_GEOMETRY)) {
      const { area, reach } = coverage(geometry.inside);
      expect(reach, shape).toBeLessThanOrEqual(1.01);
      expect(area, shape).toBeGreaterThan(0.2 * Math.PI);
      expect(geometry.maxRotationDeg, shape).toBeLessThanOrEqual(15);
      if (geometry.symmetryDeg > 0) expect(geometry.maxRotationDeg, shape).toBeLessThan(geometry.symmetryDeg / 2);
    }
  });

  it('keeps every subject inside the unit disc, in vocabulary colours and class nouns, with names unlike any shape', () => {
    expect(SUBJECT_GLYPHS.length).toBeGreaterThanOrEqual(6);
    for (const glyph of SUBJECT_GLYPHS) {
      const { area, reach } = coverage((u, v) => glyph.paint(u, v) >= 0);
      expect(reach, glyph.name).toBeLessThanOrEqual(1.01);
      expect(area, glyph.name).toBeGreaterThan(0.15 * Math.PI);
      for (const colour of glyph.colours) expect(TINY_WORLD_WORDS.colours).toContain(colour);
      expect(TINY_WORLD_WORDS.classNouns).toContain(glyph.classNoun);
      expect(TINY_WORLD_WORDS.shapes as readonly string[]).not.toContain(glyph.name);
      // Every colour of the glyph is actually painted somewhere.
      const used = new Set<number>();
      coverage((u, v) => (used.add(glyph.paint(u, v)), false));
      for (let k = 0; k < glyph.colours.length; k++) expect(used.has(k), `${glyph.name} colour ${k}`).toBe(true);
    }
  });
});

describe('renderShape', () => {
  const scene = { shape: 'circle', colour: 'red', background: 'blue', x: 32, y: 32, radius: 12, rotationDeg: 0 } as const;

  it('draws a 64x64 anti-aliased shape on a solid background, the same bytes every time', () => {
    const image = renderShape(scene);
    expect(image.width).toBe(64);
    expect(image.height).toBe(64);
    expect(image.data.length).toBe(64 * 64 * 3);
    expect(renderShape(scene).data).toEqual(image.data);
    expect(pixel(image, 32, 32)).toEqual([...TINY_PALETTE.red]);
    expect(pixel(image, 0, 0)).toEqual([...TINY_PALETTE.blue]);
    expect(pixel(image, 63, 40)).toEqual([...TINY_PALETTE.blue]);
    // Pixels on the rim blend the two colours.
    const blended = new Set<string>();
    for (let p = 0; p < 64 * 64; p++) {
      const rgb = Array.from(image.data.subarray(p * 3, p * 3 + 3)).join(',');
      if (rgb !== TINY_PALETTE.red.join(',') && rgb !== TINY_PALETTE.blue.join(',')) blended.add(rgb);
    }
    expect(blended.size).toBeGreaterThan(5);
  });

  it('covers about the shape area in pixels', () => {
    const image = renderShape({ ...scene, radius: 20 });
    let coverageSum = 0;
    for (let p = 0; p < 64 * 64; p++) coverageSum += (image.data[p * 3]! - TINY_PALETTE.blue[0]) / (TINY_PALETTE.red[0] - TINY_PALETTE.blue[0]);
    expect(coverageSum).toBeCloseTo(Math.PI * 400, -1);
  });

  it('turns shapes, except those every turn leaves alone', () => {
    expect(renderShape({ ...scene, shape: 'square', rotationDeg: 12 }).data).not.toEqual(renderShape({ ...scene, shape: 'square' }).data);
    const ring = renderShape({ ...scene, shape: 'ring' });
    const turned = renderShape({ ...scene, shape: 'ring', rotationDeg: 12 });
    let largest = 0;
    for (let i = 0; i < ring.data.length; i++) largest = Math.max(largest, Math.abs(ring.data[i]! - turned.data[i]!));
    expect(largest).toBeLessThanOrEqual(40);
  });

  it('refuses a shape the colour of its background, saying why', () => {
    expect(() => renderShape({ ...scene, background: 'red' })).toThrow(/red circle on a red background would be invisible/);
  });
});
