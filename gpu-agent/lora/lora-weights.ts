import { seededRandom } from '../tiny-model/seeded-random.ts';
import type { LoraTarget } from './find-lora-targets.ts';

/**
 * One adapted linear layer: `y = x W^T + (alpha / rank) * (x down^T) up^T`, with `down`
 * (kohya's `lora_down`, PEFT's `lora_A`) `[rank, in]` and `up` (`lora_up`, `lora_B`)
 * `[out, rank]`, both row-major float32.
 */
export interface LoraLayer {
  /** kohya key, e.g. `lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k`. */
  readonly key: string;
  readonly rank: number;
  readonly alpha: number;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly down: Float32Array;
  readonly up: Float32Array;
}

/** A LoRA: its layers, in the order of the model's graph. */
export interface LoraWeights {
  readonly layers: readonly LoraLayer[];
}

/** Options of {@link initLoraWeights}. */
export interface InitLoraOptions {
  rank: number;
  /** The branch is scaled by `alpha / rank` (default: `rank`, a scale of 1). */
  alpha?: number;
  /** Seed of the random down-projections. */
  seed: number;
  /**
   * Fixed down-projections by kohya key (`[rank, in]` each), for the orthogonal merge: the
   * cluster gives each subject its own slot of an orthogonal basis and only `up` trains. Must
   * cover every target when given.
   */
  fixedDown?: ReadonlyMap<string, Float32Array>;
}

/**
 * The standard LoRA start: `down` uniform in `±1/sqrt(in)` (PyTorch's Kaiming-uniform default
 * for a Linear, as kohya draws it), seeded per layer by (seed, key), and `up` zero, so the
 * adapted model starts exactly at the base model.
 */
export function initLoraWeights(targets: readonly LoraTarget[], options: InitLoraOptions): LoraWeights {
  const { rank } = options;
  const alpha = options.alpha ?? rank;
  if (!Number.isInteger(rank) || rank < 1) throw new RangeError(`LoRA rank must be a positive integer (got ${rank})`);
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new RangeError(`LoRA alpha must be a positive number (got ${alpha})`);
  const layers = targets.map((target): LoraLayer => {
    const { key, inFeatures, outFeatures } = target;
    if (rank > Math.min(inFeatures, outFeatures)) {
      throw new RangeError(`LoRA rank ${rank} exceeds the size of ${target.modulePath} (${outFeatures}x${inFeatures}); use a rank of at most ${Math.min(inFeatures, outFeatures)}`);
    }
    let down: Float32Array;
    if (options.fixedDown !== undefined) {
      const fixed = options.fixedDown.get(key);
      if (fixed === undefined) throw new Error(`no fixed down-projection was given for ${key}`);
      if (fixed.length !== rank * inFeatures) throw new Error(`the fixed down-projection of ${key} has ${fixed.length} values, expected [${rank}, ${inFeatures}]`);
      down = Float32Array.from(fixed);
    } else {
      const random = seededRandom(options.seed, key);
      const bound = 1 / Math.sqrt(inFeatures);
      down = Float32Array.from({ length: rank * inFeatures }, () => (2 * random.uniform() - 1) * bound);
    }
    return { key, rank, alpha, inFeatures, outFeatures, down, up: new Float32Array(outFeatures * rank) };
  });
  return { layers };
}
