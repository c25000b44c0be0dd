import type { RgbImage } from '../image/rgb-image.ts';
import type { TinyShape } from '../tokenizer/tiny-world-words.ts';
import { foregroundMask } from './foreground-mask.ts';
import { analyseImageColours } from './image-colours.ts';
import type { ColourReading } from './nearest-colour.ts';
import { maskFrame, resampleNormalised, softIou } from './normalised-mask.ts';
import type { MaskFrame } from './normalised-mask.ts';
import { buildShapePrototypes } from './shape-prototypes.ts';
import type { ShapePrototype } from './shape-prototypes.ts';
import { sizeClassOfRadius } from './size-classes.ts';
import type { TinySizeClass } from './size-classes.ts';
import { compareSignatures, subjectSignature } from './subject-signature.ts';
import type { SignatureComparison, SubjectSignature } from './subject-signature.ts';

/** The shape read off an image. */
export interface ShapeReading {
  shape: TinyShape;
  /** Soft IoU of the normalised mask with the best prototype of `shape` (over its turns), in [0, 1]. */
  score: number;
  /** The best prototype's turn, in degrees. */
  rotationDeg: number;
  /** `shape`'s share of a softmax over every shape's score with temperature {@link SHAPE_TEMPERATURE}. */
  confidence: number;
  /** The best score minus the runner-up's. */
  margin: number;
  /** Every shape's score. */
  scores: Record<TinyShape, number>;
}

/** The size read off an image, from the mask's RMS radius and the read shape's RMS-to-radius ratio. */
export interface SizeReading {
  size: TinySizeClass;
  /** Estimated drawn radius, in pixels. */
  radius: number;
}

/** Everything the oracle reads off one image. */
export interface TinyWorldReading {
  background: ColourReading;
  /** Undefined when nothing stands out from the background. */
  foreground: ColourReading | undefined;
  shape: ShapeReading | undefined;
  size: SizeReading | undefined;
  /** Centroid, RMS radius and area (pixels) of the foreground coverage. */
  mask: MaskFrame | undefined;
  /** Estimated per-channel noise (8-bit sigma) of the background. */
  noise: number;
}

/** Temperature of the softmax over shape scores (soft IoUs); 0.03 turns a 0.1 lead into ~95 %. */
export const SHAPE_TEMPERATURE = 0.03;

/** Similarity of an image to a subject's references, with the parts it is made of. */
export interface SubjectSimilarity {
  /** Mean over the references of each comparison's similarity, in [0, 1]. */
  similarity: number;
  /** The best single reference's similarity. */
  best: number;
  /** One comparison per reference, in order. */
  perReference: SignatureComparison[];
}

/**
 * Deterministic measurements of images of the tiny world, for any 64x64 image (the generator's, or a
 * model's blurry, noisy output): background and foreground colour names, the shape by template
 * matching of the scale- and position-normalised foreground mask against analytic prototypes at
 * every allowed turn, the size, and the similarity of a subject image to reference photos. Builds
 * its prototypes once, in the constructor; holds no other state.
 */
export class TinyWorldOracle {
  private readonly prototypes: readonly ShapePrototype[];

  constructor() {
    this.prototypes = buildShapePrototypes();
  }

  /** Reads background, foreground, shape and size, each with a confidence. */
  read(image: RgbImage): TinyWorldReading {
    const colours = analyseImageColours(image);
    const { background, foreground, noise } = colours;
    if (foreground === undefined) return { background, foreground, shape: undefined, size: undefined, mask: undefined, noise };
    const mask = foregroundMask(image, background.rgb, [foreground.rgb], noise);
    const frame = maskFrame(mask, image.width, image.height);
    if (frame === undefined) return { background, foreground, shape: undefined, size: undefined, mask: undefined, noise };
    const grid = resampleNormalised(mask, 1, image.width, image.height, frame);
    const shape = this.classify(grid);
    const best = this.prototypes.find((p) => p.shape === shape.shape)!;
    const radius = frame.scale / best.rmsOverRadius;
    return { background, foreground, shape, size: { size: sizeClassOfRadius(radius), radius }, mask: frame, noise };
  }

  /** The signature of an image as a subject photo (see {@link subjectSignature}); compute references' once and reuse them. */
  signature(image: RgbImage): SubjectSignature | undefined {
    return subjectSignature(image);
  }

  /**
   * How much an image looks like a subject, from its reference photos (images or signatures): the
   * mean over references of {@link compareSignatures} (half mask overlap, half per-cell colour
   * histogram overlap, both after normalising position and scale). The mean rather than the best
   * match, so one lucky reference does not decide; `best` is reported too. 0 when the image shows nothing.
   */
  subjectSimilarity(image: RgbImage | SubjectSignature, references: readonly (RgbImage | SubjectSignature)[]): SubjectSimilarity {
    if (references.length === 0) throw new RangeError('subject similarity needs at least one reference image');
    const target = 'data' in image ? subjectSignature(image) : image;
    const perReference = references.map((reference) => {
      const signature = 'data' in reference ? subjectSignature(reference) : reference;
      return target === undefined || signature === undefined ? { shape: 0, colour: 0, similarity: 0 } : compareSignatures(target, signature);
    });
    const similarity = perReference.reduce((sum, c) => sum + c.similarity, 0) / perReference.length;
    return { similarity, best: Math.max(...perReference.map((c) => c.similarity)), perReference };
  }

  private classify(grid: Float32Array): ShapeReading {
    const scores = {} as Record<TinyShape, number>;
    const turns = {} as Record<TinyShape, number>;
    for (const prototype of this.prototypes) {
      const score = softIou(grid, prototype.grid);
      if (!(prototype.shape in scores) || score > scores[prototype.shape]) {
        scores[prototype.shape] = score;
        turns[prototype.shape] = prototype.rotationDeg;
      }
    }
    const ranked = (Object.keys(scores) as TinyShape[]).sort((a, b) => scores[b] - scores[a] || (a < b ? -1 : 1));
    const top = ranked[0]!;
    const weights = ranked.map((s) => Math.exp((scores[s] - scores[top]) / SHAPE_TEMPERATURE));
    const total = weights.reduce((a, b) => a + b, 0);
    return {
      shape: top,
      score: scores[top],
      rotationDeg: turns[top],
      confidence: weights[0]! / total,
      margin: scores[top] - scores[ranked[1]!],
      scores,
    };
  }
}
