import type { GradientRule } from './gradient-rule.ts';
import { CONV_RULES } from './rules/conv-rule.ts';
import { ELEMENTWISE_RULES } from './rules/elementwise-rules.ts';
import { LAYOUT_RULES } from './rules/layout-rules.ts';
import { MATMUL_RULES } from './rules/matmul-rules.ts';
import { NORMALIZATION_RULES } from './rules/normalization-rules.ts';
import { REDUCE_RULES } from './rules/reduce-rules.ts';
import { SELECTION_RULES } from './rules/selection-rules.ts';

/** Gradient rules by ONNX op type (default domain). */
export interface GradientRegistry {
  /** The rule of an op type, or `undefined`. */
  get(opType: string): GradientRule | undefined;
  /** Adds or replaces the rule of an op type. */
  register(opType: string, rule: GradientRule): void;
  /** Op types with a rule, sorted. */
  opTypes(): string[];
}

/**
 * A fresh registry holding the built-in rules (every op of the tiny model and of a torch export
 * of the Stable Diffusion 1.5 UNet). Each call builds its own map, so registering a rule never
 * affects another registry.
 */
export function createGradientRegistry(): GradientRegistry {
  const rules = new Map<string, GradientRule>(
    Object.entries({ ...ELEMENTWISE_RULES, ...LAYOUT_RULES, ...SELECTION_RULES, ...REDUCE_RULES, ...NORMALIZATION_RULES, ...MATMUL_RULES, ...CONV_RULES }),
  );
  return {
    get: (opType) => rules.get(opType),
    register: (opType, rule) => void rules.set(opType, rule),
    opTypes: () => [...rules.keys()].sort(),
  };
}
