import type { TinyShape } from '../tokenizer/tiny-world-words.ts';

/**
 * A shape in its own frame: `u` to the right, `v` downwards (as in an image), centred on the
 * origin and inside the unit disc, so a shape drawn with radius `r` pixels fits a circle of `r`.
 */
export interface ShapeGeometry {
  /** Whether the point (u, v) of the shape's frame is inside it. */
  inside(u: number, v: number): boolean;
  /**
   * The largest rotation (degrees, either way) the generator applies: small enough that the shape
   * keeps its name (a square turned 45° would read as a diamond, a cross as an X). 0: never turned
   * (a circle or a ring looks the same at every turn).
   */
  maxRotationDeg: number;
  /** The smallest turn (degrees) that maps the shape onto itself; 360 when only the full turn does, 0 when every turn does. */
  symmetryDeg: number;
}

type Point = readonly [number, number];

/** Crossing-number test of a point against a simple polygon given as flat `[u0, v0, u1, v1, ...]`. */
function inPolygon(flat: Float64Array, u: number, v: number): boolean {
  let inside = false;
  const n = flat.length;
  for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
    const ui = flat[i]!;
    const vi = flat[i + 1]!;
    const uj = flat[j]!;
    const vj = flat[j + 1]!;
    if (vi > v !== vj > v && u < ((uj - ui) * (v - vi)) / (vj - vi) + ui) inside = !inside;
  }
  return inside;
}

/** Vertices at `radii[k % radii.length]` from the centre, the first straight up, clockwise on screen. */
function radialPolygon(count: number, radii: readonly number[], startDeg = -90): Point[] {
  const points: Point[] = [];
  for (let k = 0; k < count; k++) {
    const angle = ((startDeg + (360 * k) / count) * Math.PI) / 180;
    const radius = radii[k % radii.length]!;
    points.push([radius * Math.cos(angle), radius * Math.sin(angle)]);
  }
  return points;
}

function polygonShape(points: readonly Point[], maxRotationDeg: number, symmetryDeg: number): ShapeGeometry {
  const flat = Float64Array.from(points.flat());
  let reach = 0;
  for (const [u, v] of points) reach = Math.max(reach, Math.hypot(u, v));
  // Outside the polygon's bounding circle there is nothing to test (most of a rasteriser's samples).
  return { inside: (u, v) => u * u + v * v <= reach * reach && inPolygon(flat, u, v), maxRotationDeg, symmetryDeg };
}

const TRIANGLE = radialPolygon(3, [1]);
const STAR = radialPolygon(10, [1, 0.42]);
const PENTAGON = radialPolygon(5, [1]);
const HEXAGON = radialPolygon(6, [1], 0);
const DIAMOND: Point[] = [[0, -1], [0.62, 0], [0, 1], [-0.62, 0]];
const ARROW: Point[] = [[-0.95, -0.22], [0.2, -0.22], [0.2, -0.6], [0.98, 0], [0.2, 0.6], [0.2, 0.22], [-0.95, 0.22]];

/** The heart curve (x² + y² − 1)³ ≤ x² y³ (y up), scaled and shifted into the unit disc. */
function insideHeart(u: number, v: number): boolean {
  const x = u * 1.26;
  const y = -v * 1.26 + 0.25;
  const q = x * x + y * y - 1;
  return q * q * q - x * x * y * y * y <= 0;
}

/**
 * Every shape word of the tiny world as geometry. Rotations stay within ±15°, under half of
 * every rotated shape's symmetry angle and far from the turns that would rename it.
 */
export const SHAPE_GEOMETRY: Readonly<Record<TinyShape, ShapeGeometry>> = Object.freeze({
  circle: { inside: (u, v) => u * u + v * v <= 1, maxRotationDeg: 0, symmetryDeg: 0 },
  square: { inside: (u, v) => Math.abs(u) <= 0.7 && Math.abs(v) <= 0.7, maxRotationDeg: 15, symmetryDeg: 90 },
  triangle: polygonShape(TRIANGLE, 15, 120),
  star: polygonShape(STAR, 15, 72),
  cross: {
    inside: (u, v) => (Math.abs(u) <= 0.3 && Math.abs(v) <= 0.95) || (Math.abs(v) <= 0.3 && Math.abs(u) <= 0.95),
    maxRotationDeg: 15,
    symmetryDeg: 90,
  },
  ring: {
    inside: (u, v) => {
      const r2 = u * u + v * v;
      return r2 <= 1 && r2 >= 0.55 * 0.55;
    },
    maxRotationDeg: 0,
    symmetryDeg: 0,
  },
  diamond: polygonShape(DIAMOND, 15, 180),
  heart: { inside: insideHeart, maxRotationDeg: 15, symmetryDeg: 360 },
  hexagon: polygonShape(HEXAGON, 15, 60),
  pentagon: polygonShape(PENTAGON, 15, 72),
  crescent: {
    inside: (u, v) => u * u + v * v <= 1 && (u - 0.5) * (u - 0.5) + v * v > 0.85 * 0.85,
    maxRotationDeg: 15,
    symmetryDeg: 360,
  },
  arrow: polygonShape(ARROW, 15, 360),
});
