import type { OnnxGraph, ValueInfo } from '../onnx/ir.ts';
import { NodeEmitter } from '../lora/node-emitter.ts';

/** AdamW's hyper-parameters (Loshchilov and Hutter 2019), with global gradient-norm clipping. */
export interface AdamWSettings {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decoupled weight decay: every step multiplies parameters by `1 - lr * weightDecay`. */
  weightDecay: number;
  /** Gradients are scaled down so their global L2 norm is at most this; `Infinity` turns clipping off. */
  maxGradNorm: number;
}

/** PyTorch's AdamW defaults, with kohya's usual clipping at 1. */
export function defaultAdamWSettings(): AdamWSettings {
  return { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-2, maxGradNorm: 1 };
}

/** Names of the optimizer's scalar inputs and outputs. */
export const OPTIMIZER_IO = {
  /** float32 scalar: the step being taken, 1 for the first (bias correction). */
  step: 'adam_step',
  /** float32 scalar. */
  learningRate: 'learning_rate',
  /** float32 scalar output: the global gradient norm before clipping (non-finite: the step was skipped). */
  gradNorm: 'grad_norm',
} as const;

/** A parameter to optimize: its graph input, shape, and the gradient output that autodiff made for it. */
export interface ParameterToOptimize {
  readonly name: string;
  readonly dims: readonly number[];
  readonly gradient: string;
}

/** Graph names of one optimized parameter's state and results. */
export interface OptimizedParameter {
  readonly name: string;
  readonly dims: readonly number[];
  /** Inputs: Adam's first and second moment estimates. */
  readonly m: string;
  readonly v: string;
  /** Outputs: the parameter and moments after the step. */
  readonly updated: string;
  readonly updatedM: string;
  readonly updatedV: string;
}

/**
 * Appends one AdamW step to a gradient graph, in standard ONNX ops, so that one session run is
 * one optimizer step. With `g` the gradients scaled by `min(1, maxGradNorm / ||g||)`:
 * `m' = b1 m + (1 - b1) g`, `v' = b2 v + (1 - b2) g^2`,
 * `p' = p (1 - lr wd) - (lr / (1 - b1^t)) m' / (sqrt(v') / sqrt(1 - b2^t) + eps)`, as PyTorch's
 * AdamW computes it. When the gradient norm is not finite every parameter and moment is passed
 * through unchanged, so one bad batch cannot poison the LoRA. The gradient outputs are dropped;
 * the outputs are `keepOutputs`, `grad_norm` and each parameter's `updated/...` values.
 */
export function appendAdamW(graph: OnnxGraph, parameters: readonly ParameterToOptimize[], settings: AdamWSettings, keepOutputs: readonly string[]): { graph: OnnxGraph; parameters: OptimizedParameter[] } {
  if (parameters.length === 0) throw new Error('nothing to optimize');
  const e = new NodeEmitter(graph, 'adamw');
  const scalarInput = (name: string): ValueInfo => ({ name: e.claim(name), dtype: 'float32', shape: [] });
  const step = scalarInput(OPTIMIZER_IO.step);
  const learningRate = scalarInput(OPTIMIZER_IO.learningRate);
  const c = (value: number): string => e.scalar(value);

  const squares = parameters.map((p) => e.reduceSum(e.mul(p.gradient, p.gradient), undefined, false));
  const sumOfSquares = squares.reduce((total, square) => e.add(total, square));
  const gradNorm = e.sqrt(sumOfSquares);
  e.identity(gradNorm, e.claim(OPTIMIZER_IO.gradNorm));
  // NaN and infinity both fail `<`, so `finite` is false for any non-finite gradient.
  const finite = e.less(sumOfSquares, c(3.4e38));
  const clip = Number.isFinite(settings.maxGradNorm)
    ? e.where(e.less(gradNorm, c(settings.maxGradNorm)), c(1), e.div(c(settings.maxGradNorm), e.add(gradNorm, c(1e-6))))
    : undefined;
  const correction1 = e.sub(c(1), e.pow(c(settings.beta1), step.name));
  const correction2 = e.sub(c(1), e.pow(c(settings.beta2), step.name));
  const stepSize = e.div(learningRate.name, correction1);
  const sqrtCorrection2 = e.sqrt(correction2);
  const decay = e.sub(c(1), e.mul(learningRate.name, c(settings.weightDecay)));

  const inputs: ValueInfo[] = [step, learningRate];
  const outputs: ValueInfo[] = [{ name: OPTIMIZER_IO.gradNorm, dtype: 'float32', shape: [] }];
  const optimized = parameters.map((p): OptimizedParameter => {
    const names = {
      name: p.name,
      dims: p.dims,
      m: e.claim(`adam_m/${p.name}`),
      v: e.claim(`adam_v/${p.name}`),
      updated: e.claim(`updated/${p.name}`),
      updatedM: e.claim(`updated/adam_m/${p.name}`),
      updatedV: e.claim(`updated/adam_v/${p.name}`),
    };
    const g = clip === undefined ? p.gradient : e.mul(p.gradient, clip);
    const m = e.add(e.mul(names.m, c(settings.beta1)), e.mul(g, c(1 - settings.beta1)));
    const v = e.add(e.mul(names.v, c(settings.beta2)), e.mul(e.mul(g, g), c(1 - settings.beta2)));
    const denominator = e.add(e.div(e.sqrt(v), sqrtCorrection2), c(settings.epsilon));
    const updated = e.sub(e.mul(p.name, decay), e.mul(stepSize, e.div(m, denominator)));
    e.where(finite, updated, p.name, names.updated);
    e.where(finite, m, names.m, names.updatedM);
    e.where(finite, v, names.v, names.updatedV);
    const tensor = (name: string): ValueInfo => ({ name, dtype: 'float32', shape: [...p.dims] });
    inputs.push(tensor(names.m), tensor(names.v));
    outputs.push(tensor(names.updated), tensor(names.updatedM), tensor(names.updatedV));
    return names;
  });
  const kept = keepOutputs.map((name) => {
    const output = graph.outputs.find((o) => o.name === name);
    if (output === undefined) throw new Error(`graph "${graph.name}" has no output "${name}"`);
    return output;
  });
  return {
    graph: {
      ...graph,
      inputs: [...graph.inputs, ...inputs],
      outputs: [...kept, ...outputs],
      nodes: [...graph.nodes, ...e.nodes],
      initializers: [...graph.initializers, ...e.initializers],
    },
    parameters: optimized,
  };
}
