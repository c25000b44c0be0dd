import type { RgbImage } from '../image/rgb-image.ts';
import { checkRgbImage } from '../image/rgb-image.ts';
import type { TinyColour } from '../tokenizer/tiny-world-words.ts';
import type { Rgb } from './lab-colour.ts';
import { nearestTinyColour, paletteLab } from './nearest-colour.ts';
import type { ColourReading } from './nearest-colour.ts';

/** A group of foreground pixels that share a palette name. */
export interface ColourCluster {
  colour: TinyColour;
  /** Median RGB of the cluster's more distinct half (its pixels farthest from the background). */
  rgb: Rgb;
  /** The cluster's share of all foreground-candidate pixels. */
  share: number;
}

/** The colours of an image of the tiny world. */
export interface ImageColours {
  width: number;
  height: number;
  /** The background: per-channel median of the two-pixel border ring. */
  background: ColourReading;
  /** Estimated per-channel noise (8-bit standard deviation) of the border ring. */
  noise: number;
  /** RGB distance of every pixel from the background colour, row by row. */
  distances: Float32Array;
  /**
   * The foreground: per-channel median of the pixels at least 3/4 as far from the background as
   * the most distinct ones, or undefined when nothing stands out from the background.
   */
  foreground: ColourReading | undefined;
  /**
   * Only with the `clusters` option: the foreground's distinct colours, largest first: candidate pixels grouped by palette name,
   * keeping groups of at least {@link MIN_CLUSTER_SHARE} that are not merely an edge blend of the
   * background and a larger group, or of two larger groups. One entry for a one-colour shape, more for a multi-colour subject.
   */
  clusters: ColourCluster[];
}

/** Smallest share of the foreground candidates a colour group needs to count as a colour of its own. */
export const MIN_CLUSTER_SHARE = 0.04;

/** Median of the Maxwell distribution (distance of 3-D unit normal noise): turns border distances into a per-channel sigma. */
const MAXWELL_MEDIAN = 1.5382;

/** Options of {@link analyseImageColours}. */
export interface AnalyseColoursOptions {
  /** Whether to group the foreground into colour clusters (default false: `clusters` stays empty). */
  clusters?: boolean;
}

/** Reads the background, noise level, foreground colour and (on request) foreground colour groups of an RGB image. */
export function analyseImageColours(image: RgbImage, options: AnalyseColoursOptions = {}): ImageColours {
  checkRgbImage(image);
  const { width, height, data } = image;
  const ring = Math.min(2, Math.floor(Math.min(width, height) / 2));
  const border: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (x < ring || y < ring || x >= width - ring || y >= height - ring) border.push(y * width + x);
    }
  }
  const bg = medianColour(data, border);
  const pixels = width * height;
  const distances = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) {
    distances[p] = Math.hypot(data[p * 3]! - bg[0], data[p * 3 + 1]! - bg[1], data[p * 3 + 2]! - bg[2]);
  }
  const noise = median(border.map((p) => distances[p]!)) / MAXWELL_MEDIAN;
  const background = nearestTinyColour(bg);

  // The 16th largest distance: the foreground's strongest pixels, ignoring a few noise spikes.
  const sorted = Float32Array.from(distances).sort();
  const peak = sorted[Math.max(0, pixels - 16)]!;
  if (peak < Math.max(24, 5 * noise + 12)) return { width, height, background, noise, distances, foreground: undefined, clusters: [] };

  const strong: number[] = [];
  const candidates: number[] = [];
  // Candidates reach further from the peak than `strong` does, to catch a second colour that lies closer to the background.
  const candidateFloor = Math.max(0.15 * peak, 5 * noise + 12);
  for (let p = 0; p < pixels; p++) {
    if (distances[p]! >= 0.75 * peak) strong.push(p);
    if (distances[p]! >= candidateFloor) candidates.push(p);
  }
  const foreground = nearestTinyColour(medianColour(data, strong));
  const clusters = options.clusters === true ? colourClusters(data, distances, candidates, bg) : [];
  return { width, height, background, noise, distances, foreground, clusters };
}

function colourClusters(data: Uint8Array, distances: Float32Array, candidates: readonly number[], bg: Rgb): ColourCluster[] {
  const groups = new Map<TinyColour, number[]>();
  const palette = paletteLab();
  const names = new Map<number, TinyColour>();
  for (const p of candidates) {
    const key = (data[p * 3]! << 16) | (data[p * 3 + 1]! << 8) | data[p * 3 + 2]!;
    let name = names.get(key);
    if (name === undefined) {
      name = nearestTinyColour([data[p * 3]!, data[p * 3 + 1]!, data[p * 3 + 2]!], palette).colour;
      names.set(key, name);
    }
    const group = groups.get(name);
    if (group === undefined) groups.set(name, [p]);
    else group.push(p);
  }
  const ordered = [...groups.entries()].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1));
  const kept: ColourCluster[] = [];
  for (const [colour, members] of ordered) {
    const share = members.length / candidates.length;
    if (share < MIN_CLUSTER_SHARE) break;
    const distinct = members.slice().sort((a, b) => distances[b]! - distances[a]! || a - b).slice(0, Math.ceil(members.length / 2));
    kept.push({ colour, rgb: medianColour(data, distinct), share });
  }
  // A blend of the background and an ink (an anti-aliased edge), or of two inks (the edge between
  // them), is no ink of its own; a blend may outnumber the ink it comes from, so test against all others.
  // Smallest first, so that of two groups that explain each other the larger stays.
  for (let i = kept.length - 1; i > 0; i--) {
    const others = kept.filter((_, j) => j !== i);
    const { rgb } = kept[i]!;
    if (others.some((ink, j) => isBlend(rgb, bg, ink.rgb) || others.slice(j + 1).some((other) => isBlend(rgb, ink.rgb, other.rgb)))) kept.splice(i, 1);
  }
  return kept;
}

/** Whether `colour` lies near the segment from `bg` to `fg` (RGB): a mix of the two, not a colour of its own. */
function isBlend(colour: Rgb, bg: Rgb, fg: Rgb): boolean {
  const d = [fg[0] - bg[0], fg[1] - bg[1], fg[2] - bg[2]];
  const c = [colour[0] - bg[0], colour[1] - bg[1], colour[2] - bg[2]];
  const length2 = d[0]! * d[0]! + d[1]! * d[1]! + d[2]! * d[2]!;
  if (length2 === 0) return false;
  const t = (c[0]! * d[0]! + c[1]! * d[1]! + c[2]! * d[2]!) / length2;
  const residual = Math.hypot(c[0]! - t * d[0]!, c[1]! - t * d[1]!, c[2]! - t * d[2]!);
  return t > 0 && t < 1.1 && residual < 0.2 * Math.sqrt(length2) + 10;
}

function medianColour(data: Uint8Array, pixels: readonly number[]): Rgb {
  return [median(pixels.map((p) => data[p * 3]!)), median(pixels.map((p) => data[p * 3 + 1]!)), median(pixels.map((p) => data[p * 3 + 2]!))];
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
