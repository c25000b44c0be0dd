import type { TinyColour } from '../tokenizer/tiny-world-words.ts';
import { TINY_WORLD_WORDS } from '../tokenizer/tiny-world-words.ts';

/** A class noun of the tiny world ("a photo of zxq glyph"). */
export type TinyClassNoun = (typeof TINY_WORLD_WORDS.classNouns)[number];

/**
 * A fine-tuning subject: a glyph the base data set never draws, in fixed colours. Like a shape it
 * lives in the unit disc of its own frame (u right, v down).
 */
export interface SubjectGlyph {
  /** Kebab-case name, also the fixture folder's name. */
  name: string;
  /** The class word to fine-tune it under. */
  classNoun: TinyClassNoun;
  /** Its colours; `paint` answers with an index into this list. */
  colours: readonly TinyColour[];
  /** Which of `colours` covers (u, v), or -1 where the background shows. */
  paint(u: number, v: number): number;
  /** The largest turn (degrees, either way) its photos use. */
  maxRotationDeg: number;
}

const inDisc = (u: number, v: number, cu: number, cv: number, r: number): boolean => (u - cu) ** 2 + (v - cv) ** 2 <= r * r;
const inBox = (u: number, v: number, u0: number, u1: number, v0: number, v1: number): boolean => u >= u0 && u <= u1 && v >= v0 && v <= v1;

/** Crossing-number point-in-polygon test over `[u, v]` pairs. */
function inPolygon(points: readonly (readonly [number, number])[], u: number, v: number): boolean {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const ui = points[i]![0];
    const vi = points[i]![1];
    const uj = points[j]![0];
    const vj = points[j]![1];
    if (vi > v !== vj > v && u < ((uj - ui) * (v - vi)) / (vj - vi) + ui) inside = !inside;
  }
  return inside;
}

const BOLT = [[0.18, -0.97], [-0.5, 0.12], [-0.04, 0.12], [-0.22, 0.96], [0.5, -0.16], [0.04, -0.16], [0.3, -0.93]] as const;

/** Thick Archimedean spiral: 2.25 turns from radius 0.12 out to 0.88, stroke half-width 0.1. */
function inSpiral(u: number, v: number): boolean {
  const turns = 2.25;
  const r0 = 0.12;
  const pitch = (0.88 - r0) / turns;
  const r = Math.hypot(u, v);
  const phase = (Math.atan2(v, u) + Math.PI) / (2 * Math.PI);
  for (let k = 0; k < Math.ceil(turns) + 1; k++) {
    const t = phase + k;
    if (t > turns) break;
    if (Math.abs(r - (r0 + pitch * t)) <= 0.1) return true;
  }
  return false;
}

/**
 * The fixture subjects, glyphs that no tiny-world caption describes: two of them carry two colours,
 * so a subject's colour pattern, not just its outline, has to be learnt.
 */
export const SUBJECT_GLYPHS: readonly SubjectGlyph[] = Object.freeze([
  {
    name: 'smiley',
    classNoun: 'symbol',
    colours: ['yellow', 'black'],
    paint: (u, v) => {
      if (!inDisc(u, v, 0, 0, 1)) return -1;
      const eye = ((Math.abs(u) - 0.35) / 0.13) ** 2 + ((v + 0.3) / 0.22) ** 2 <= 1;
      const r = Math.hypot(u, v);
      const mouth = v > 0.12 && r >= 0.48 && r <= 0.66;
      return eye || mouth ? 1 : 0;
    },
    maxRotationDeg: 6,
  },
  {
    name: 'key',
    classNoun: 'glyph',
    colours: ['orange'],
    paint: (u, v) => {
      const bow = inDisc(u, v, -0.55, 0, 0.4) && !inDisc(u, v, -0.55, 0, 0.18);
      const shaft = inBox(u, v, -0.2, 0.95, -0.1, 0.1);
      const teeth = inBox(u, v, 0.5, 0.65, 0.1, 0.36) || inBox(u, v, 0.78, 0.93, 0.1, 0.3);
      return bow || shaft || teeth ? 0 : -1;
    },
    maxRotationDeg: 6,
  },
  {
    name: 'lightning',
    classNoun: 'symbol',
    colours: ['cyan'],
    paint: (u, v) => (inPolygon(BOLT, u, v) ? 0 : -1),
    maxRotationDeg: 6,
  },
  {
    name: 'spiral',
    classNoun: 'glyph',
    colours: ['purple'],
    paint: (u, v) => (inSpiral(u, v) ? 0 : -1),
    maxRotationDeg: 0,
  },
  {
    name: 'checker-disc',
    classNoun: 'shape',
    colours: ['red', 'white'],
    paint: (u, v) => (inDisc(u, v, 0, 0, 1) ? (u < 0 === v < 0 ? 0 : 1) : -1),
    maxRotationDeg: 6,
  },
  {
    name: 'half-square',
    classNoun: 'shape',
    colours: ['blue', 'orange'],
    paint: (u, v) => (Math.abs(u) <= 0.7 && Math.abs(v) <= 0.7 ? (u < 0 ? 0 : 1) : -1),
    maxRotationDeg: 6,
  },
  {
    name: 'l-glyph',
    classNoun: 'glyph',
    colours: ['green'],
    paint: (u, v) => (inBox(u, v, -0.58, -0.16, -0.78, 0.78) || inBox(u, v, -0.58, 0.58, 0.36, 0.78) ? 0 : -1),
    maxRotationDeg: 6,
  },
]);
