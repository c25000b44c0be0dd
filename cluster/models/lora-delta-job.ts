import type { LinearLayer } from '../../gpu-agent/lora/find-linear-layers.ts';
import type { LoraLayer } from '../../gpu-agent/lora/lora-weights.ts';

/** One weight to adapt, as posted to the worker (`weight` is transferred, not copied). */
export interface LoraDeltaJob {
  readonly id: number;
  readonly weight: ArrayBuffer;
  readonly dtype: LinearLayer['dtype'];
  readonly layout: LinearLayer['layout'];
  readonly layer: LoraLayer;
  readonly multiplier: number;
  /** The sha-256 the weight's bytes must have (checked before the delta is added). */
  readonly expectedSha256: string;
}

/** The worker's answer: the adapted weight's bytes (transferred) and their sha-256, or why it failed. */
export type LoraDeltaResult = { readonly id: number; readonly weight: ArrayBuffer; readonly sha256: string } | { readonly id: number; readonly error: string };
