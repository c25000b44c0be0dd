import { isFloat } from '../dtype.ts';
import type { GraphInference } from '../graph-inference.ts';
import { inferGraphValues } from '../infer-graph.ts';
import type { OnnxGraph, OnnxNode, ValueInfo } from '../ir.ts';
import { formatShape, ShapeError } from '../ops/infer-context.ts';
import { GradientEmitter, sameShape } from './gradient-emitter.ts';
import { GradientError } from './gradient-error.ts';
import { createGradientRegistry, type GradientRegistry } from './gradient-registry.ts';
import type { GradientContext } from './gradient-rule.ts';
import { pruneGraph } from './prune-graph.ts';

/** Options of {@link buildGradientGraph}. */
export interface GradientGraphOptions {
  /** Name of a scalar (shape `[]` or `[1]`) float value in the graph. */
  loss: string;
  /** Names of initializers or graph inputs to differentiate. */
  wrt: readonly string[];
  /** Initializers in `wrt` become graph inputs (so parameters can be fed / kept outside) unless false. */
  parametersAsInputs?: boolean;
  /** Name of the gradient output of a `wrt` entry; default `${name}_grad`. */
  gradientName?: (name: string) => string;
  /** Rules to use; default {@link createGradientRegistry}. */
  registry?: GradientRegistry;
}

/** Values that depend on a `wrt` entry through float edges, and values the loss depends on. */
function activity(forward: OnnxGraph, wrt: ReadonlySet<string>, loss: string, typeOf: (name: string) => ValueInfo): { varied: Set<string>; useful: Set<string> } {
  const varied = new Set(wrt);
  for (const node of forward.nodes) {
    if (!node.inputs.some((name) => varied.has(name))) continue;
    for (const out of node.outputs) if (out !== '' && isFloat(typeOf(out).dtype)) varied.add(out);
  }
  const useful = new Set([loss]);
  for (const node of [...forward.nodes].reverse()) {
    if (node.outputs.some((name) => useful.has(name))) for (const name of node.inputs) if (name !== '') useful.add(name);
  }
  return { varied, useful };
}

function checkOptions(forward: OnnxGraph, options: GradientGraphOptions, typeOf: (name: string) => ValueInfo | undefined): void {
  const loss = typeOf(options.loss);
  if (loss === undefined) throw new GradientError(`loss "${options.loss}" is not a value of graph "${forward.name}"`);
  const scalar = loss.shape.length === 0 || (loss.shape.length === 1 && loss.shape[0] === 1);
  if (!isFloat(loss.dtype) || !scalar) throw new GradientError(`loss "${options.loss}" must be a float scalar (shape [] or [1]), got ${loss.dtype} ${formatShape(loss.shape)}`);
  const sources = new Set([...forward.inputs.map((v) => v.name), ...forward.initializers.map((i) => i.name)]);
  const seen = new Set<string>();
  for (const name of options.wrt) {
    if (!sources.has(name)) throw new GradientError(`wrt "${name}" is not an initializer or input of graph "${forward.name}"`);
    if (seen.has(name)) throw new GradientError(`wrt "${name}" is listed twice`);
    seen.add(name);
    const type = typeOf(name)!;
    if (!isFloat(type.dtype)) throw new GradientError(`wrt "${name}" is ${type.dtype}; only float values have gradients`);
  }
}

/**
 * Adds gradient computation to a forward graph (reverse-mode autodiff). The result computes the
 * loss and one gradient per `wrt` entry (same shape and dtype as the parameter) with standard
 * ONNX ops only, so one training step is one ordinary inference session on any execution
 * provider. Forward nodes the outputs do not need are dropped; shape-only subgraphs are kept
 * as they are. A `wrt` entry the loss does not depend on gets zeros. Throws a
 * {@link GradientError} naming the op and node when a needed rule is missing.
 */
export function buildGradientGraph(forward: OnnxGraph, options: GradientGraphOptions): OnnxGraph {
  let inference: GraphInference;
  try {
    inference = inferGraphValues(forward);
  } catch (error) {
    if (error instanceof ShapeError) throw new GradientError(`cannot type graph "${forward.name}" for differentiation: ${error.message}`);
    throw error;
  }
  const typeOf = (name: string): ValueInfo => {
    const type = inference.type(name);
    if (type === undefined) throw new GradientError(`value "${name}" is not defined in graph "${forward.name}"`);
    return type;
  };
  checkOptions(forward, options, (name) => inference.type(name));
  const registry = options.registry ?? createGradientRegistry();
  const gradientName = options.gradientName ?? ((name: string) => `${name}_grad`);
  const { varied, useful } = activity(forward, new Set(options.wrt), options.loss, typeOf);
  const needsGrad = (name: string): boolean => name !== '' && varied.has(name) && useful.has(name) && isFloat(typeOf(name).dtype);

  const taken = [...inference.types().keys(), ...forward.nodes.map((n) => n.name)];
  const emit = new GradientEmitter(inference, taken);
  const pending = new Map<string, ValueInfo[]>();
  const totals = new Map<string, ValueInfo>();
  const total = (name: string): ValueInfo | undefined => {
    const known = totals.get(name);
    if (known !== undefined) return known;
    const parts = pending.get(name);
    if (parts === undefined) return undefined;
    const sum = emit.sum(parts);
    totals.set(name, sum);
    return sum;
  };
  const lossType = typeOf(options.loss);
  // d loss / d loss = 1 (the loss has one element, shape [] or [1]).
  if (needsGrad(options.loss)) pending.set(options.loss, [emit.constant(lossType.dtype, lossType.shape as number[], [1])]);

  for (const node of [...forward.nodes].reverse()) {
    if (!node.outputs.some((name) => pending.has(name)) || !node.inputs.some(needsGrad)) continue;
    const rule = registry.get(node.opType);
    if (rule === undefined || (node.domain !== '' && node.domain !== 'ai.onnx')) {
      throw new GradientError(`no gradient rule for operator ${node.domain === '' ? '' : `${node.domain}.`}${node.opType} (node "${node.name}"); register one with registry.register("${node.opType}", rule)`);
    }
    const ctx = contextFor(node, emit, total, needsGrad);
    const grads = rule(ctx);
    node.inputs.forEach((name, i) => {
      const grad = grads[i];
      if (!needsGrad(name) || grad === undefined) return;
      const type = typeOf(name);
      if (grad.dtype !== type.dtype || !sameShape(grad.shape, type.shape)) {
        ctx.fail(`the rule returned ${grad.dtype} ${formatShape(grad.shape)} for input ${i} "${name}", which is ${type.dtype} ${formatShape(type.shape)}`);
      }
      pending.set(name, [...(pending.get(name) ?? []), grad]);
    });
  }

  const gradients = options.wrt.map((name) => emit.rename(total(name) ?? emit.zerosLike(typeOf(name)), gradientName(name)));
  return pruneGraph({
    forward,
    nodes: [...forward.nodes, ...emit.nodes],
    initializers: [...forward.initializers, ...emit.initializers],
    outputs: [lossType, ...gradients],
    keepInputs: options.wrt,
    parametersAsInputs: options.parametersAsInputs ?? true,
    typeOf,
  });
}

function contextFor(node: OnnxNode, emit: GradientEmitter, total: (name: string) => ValueInfo | undefined, needsGrad: (name: string) => boolean): GradientContext {
  const fail = (message: string): never => {
    throw new GradientError(`gradient of ${node.opType} "${node.name}": ${message}`);
  };
  const optionalInput = (index: number): ValueInfo | undefined => {
    const name = node.inputs[index] ?? '';
    return name === '' ? undefined : emit.type(name);
  };
  return {
    node,
    emit,
    input: (index) => optionalInput(index) ?? fail(`input ${index} is required`),
    optionalInput,
    output: (index) => emit.type(node.outputs[index] ?? fail(`output ${index} does not exist`)),
    outputGrad: (index) => {
      const name = node.outputs[index] ?? '';
      return name === '' ? undefined : total(name);
    },
    needsGrad: (index) => needsGrad(node.inputs[index] ?? ''),
    fail,
  };
}
