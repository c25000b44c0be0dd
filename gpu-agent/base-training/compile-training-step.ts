import { buildGradientGraph } from '../onnx/autodiff/build-gradient-graph.ts';
import type { OnnxGraph } from '../onnx/ir.ts';
import { appendAdamW, type AdamWSettings, type OptimizedParameter } from '../training/append-adamw.ts';
import { isTrainableWeight } from './rename-graph.ts';

/** A forward graph whose output `loss` is a float scalar. */
export interface LossGraph {
  readonly graph: OnnxGraph;
  /** Name of the scalar loss value. */
  readonly loss: string;
}

/** One compiled optimizer step over every weight of a loss graph. */
export interface CompiledTrainingStep {
  readonly graph: OnnxGraph;
  readonly loss: string;
  /** The trained parameters (graph inputs now) with their optimizer state names. */
  readonly parameters: readonly OptimizedParameter[];
  /** Initial value of each parameter, from the forward graph's initializers. */
  readonly initial: ReadonlyMap<string, Float32Array>;
}

/**
 * Compiles a full training step (forward, reverse-mode gradients of every trainable weight, and
 * AdamW with global gradient clipping) into one ONNX graph, with the project's own autodiff:
 * one session run is one optimizer step. The weights leave the initializers and become inputs,
 * so the caller holds them between steps. `trains` picks the weights that train (default all);
 * the others stay constant initializers.
 */
export function compileTrainingStep(loss: LossGraph, optimizer: AdamWSettings, trains: (name: string) => boolean = () => true): CompiledTrainingStep {
  const weights = loss.graph.initializers.filter((init) => isTrainableWeight(init, init.name.slice(0, init.name.indexOf('/') + 1)) && trains(init.name));
  if (weights.length === 0) throw new Error(`graph "${loss.graph.name}" has no trainable weights`);
  const gradientName = (name: string): string => `gradient/${name}`;
  const gradients = buildGradientGraph(loss.graph, { loss: loss.loss, wrt: weights.map((w) => w.name), parametersAsInputs: true, gradientName });
  const optimized = appendAdamW(
    gradients,
    weights.map((w) => ({ name: w.name, dims: w.dims, gradient: gradientName(w.name) })),
    optimizer,
    [loss.loss],
  );
  const initial = new Map(weights.map((w) => [w.name, Float32Array.from(w.data as Float32Array)]));
  return { graph: optimized.graph, loss: loss.loss, parameters: optimized.parameters, initial };
}
