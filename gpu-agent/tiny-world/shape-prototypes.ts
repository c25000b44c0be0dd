import { TINY_WORLD_WORDS } from '../tokenizer/tiny-world-words.ts';
import type { TinyShape } from '../tokenizer/tiny-world-words.ts';
import { NORMALISED_EXTENT, NORMALISED_GRID } from './normalised-mask.ts';
import { SHAPE_GEOMETRY } from './shape-geometry.ts';

/** A shape's normalised coverage grid at one turn, to compare a measured mask against. */
export interface ShapePrototype {
  shape: TinyShape;
  rotationDeg: number;
  /** `NORMALISED_GRID²` coverages, centred on the shape's centroid and scaled by its RMS radius. */
  grid: Float32Array;
  /** The shape's RMS radius over its drawn radius (turns a measured RMS radius into a drawn radius). */
  rmsOverRadius: number;
}

/** Degrees between prototype turns. */
export const PROTOTYPE_ROTATION_STEP = 5;

/**
 * Analytic prototypes of every shape, at every turn from −max to +max rotation in steps of
 * {@link PROTOTYPE_ROTATION_STEP} degrees (one turn for circle and ring). Each grid cell is the mean
 * of 4×4 point samples of the shape's exact geometry, in the same normalised frame that
 * {@link resampleNormalised} gives a measured mask (centroid and RMS radius measured on a 400×400 sampling).
 */
export function buildShapePrototypes(): ShapePrototype[] {
  const prototypes: ShapePrototype[] = [];
  for (const shape of TINY_WORLD_WORDS.shapes) {
    const geometry = SHAPE_GEOMETRY[shape];
    const moments = shapeMoments(geometry.inside);
    const steps = Math.floor(geometry.maxRotationDeg / PROTOTYPE_ROTATION_STEP);
    for (let k = -steps; k <= steps; k++) {
      const rotationDeg = k * PROTOTYPE_ROTATION_STEP;
      prototypes.push({ shape, rotationDeg, grid: prototypeGrid(geometry.inside, moments, rotationDeg), rmsOverRadius: moments.rms });
    }
  }
  return prototypes;
}

interface Moments {
  u: number;
  v: number;
  rms: number;
}

function shapeMoments(inside: (u: number, v: number) => boolean): Moments {
  const n = 400;
  let mass = 0;
  let su = 0;
  let sv = 0;
  let s2 = 0;
  for (let j = 0; j < n; j++) {
    const v = -1 + (2 * (j + 0.5)) / n;
    for (let i = 0; i < n; i++) {
      const u = -1 + (2 * (i + 0.5)) / n;
      if (!inside(u, v)) continue;
      mass++;
      su += u;
      sv += v;
      s2 += u * u + v * v;
    }
  }
  const u = su / mass;
  const v = sv / mass;
  return { u, v, rms: Math.sqrt(s2 / mass - u * u - v * v) };
}

function prototypeGrid(inside: (u: number, v: number) => boolean, moments: Moments, rotationDeg: number): Float32Array {
  const grid = NORMALISED_GRID;
  const cell = (2 * NORMALISED_EXTENT) / grid;
  const ss = 4;
  const angle = (rotationDeg * Math.PI) / 180;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const out = new Float32Array(grid * grid);
  for (let gy = 0; gy < grid; gy++) {
    for (let gx = 0; gx < grid; gx++) {
      let hits = 0;
      for (let sy = 0; sy < ss; sy++) {
        const b = (-NORMALISED_EXTENT + (gy + (sy + 0.5) / ss) * cell) * moments.rms;
        for (let sx = 0; sx < ss; sx++) {
          const a = (-NORMALISED_EXTENT + (gx + (sx + 0.5) / ss) * cell) * moments.rms;
          // Screen offset from the centroid, turned back into the shape's frame (as the rasteriser does).
          if (inside(moments.u + a * cos + b * sin, moments.v - a * sin + b * cos)) hits++;
        }
      }
      out[gy * grid + gx] = hits / (ss * ss);
    }
  }
  return out;
}
