import type { OnnxNode, ValueInfo } from '../ir.ts';
import type { GradientEmitter } from './gradient-emitter.ts';

/** What a gradient rule sees of one forward node. */
export interface GradientContext {
  readonly node: OnnxNode;
  /** Where the rule adds its nodes. */
  readonly emit: GradientEmitter;
  /** Input `index`, which must be present. */
  input(index: number): ValueInfo;
  /** Input `index`, or `undefined` when the optional input is omitted. */
  optionalInput(index: number): ValueInfo | undefined;
  /** Output `index` of the forward node. */
  output(index: number): ValueInfo;
  /** The gradient of the loss with respect to output `index`, or `undefined` when none reaches it (treat as zero). */
  outputGrad(index: number): ValueInfo | undefined;
  /** Whether input `index` needs a gradient; rules skip work for inputs that do not. */
  needsGrad(index: number): boolean;
  /** Throws a `GradientError` that names the op and node. */
  fail(message: string): never;
}

/**
 * The reverse-mode rule of one operator: given the gradients of the node's outputs, emits nodes
 * computing the gradient of each input and returns them by input index (`undefined`: no
 * gradient flows to that input). Each returned gradient must have its input's type and shape.
 */
export type GradientRule = (ctx: GradientContext) => readonly (ValueInfo | undefined)[];

/** The gradient of output `index`, which single-output rules can rely on (the engine only calls a rule when some output has one). */
export function outputGradOf(ctx: GradientContext, index = 0): ValueInfo {
  return ctx.outputGrad(index) ?? ctx.fail(`no gradient reaches output ${index}`);
}
