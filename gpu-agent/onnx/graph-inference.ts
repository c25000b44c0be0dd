import type { Dim, Initializer, OnnxNode, TensorData, ValueInfo } from './ir.ts';
import { ShapeError } from './ops/infer-context.ts';
import { inferNode } from './ops/op-registry.ts';
import { constantShapeValue, shapeValueOf } from './ops/shape-values.ts';

/**
 * The types of a graph's values, built up node by node: graph inputs, initializers, then each
 * node's outputs through shape inference. Besides types it keeps constant data and the "shape
 * values" of small integer tensors computed from shapes (see `shapeValueOf`), so a target shape
 * built by `Shape -> Gather -> Concat` is known where `Reshape` needs it. {@link inferGraph} and
 * autodiff (which keeps adding gradient nodes to a forward graph) both use it.
 */
export class GraphInference {
  readonly #types = new Map<string, ValueInfo>();
  readonly #constants = new Map<string, TensorData>();
  readonly #shapeValues = new Map<string, readonly Dim[]>();

  /** Declares a graph input. */
  addInput(value: ValueInfo): void {
    this.#define(value);
  }

  /** Declares an initializer (its data becomes a known constant). */
  addInitializer(init: Initializer): void {
    const info = { name: init.name, dtype: init.dtype, shape: init.dims };
    // An initializer may also be listed as a graph input (an overridable default).
    this.#types.set(init.name, info);
    this.#constants.set(init.name, init.data);
    const values = constantShapeValue(info, init.data);
    if (values !== undefined) this.#shapeValues.set(init.name, values);
  }

  /** Infers a node's outputs, records them, and returns their types (one per named output; omitted outputs are skipped). */
  addNode(node: OnnxNode): ValueInfo[] {
    const inputs = node.inputs.map((name) => {
      if (name === '') return undefined;
      const type = this.#types.get(name);
      if (type === undefined) throw new ShapeError(`${node.opType} "${node.name}": input "${name}" is not defined before the node`);
      return type;
    });
    const inferred = inferNode({
      opType: node.opType,
      nodeName: node.name,
      inputs,
      attributes: node.attributes,
      outputCount: node.outputs.length,
      constant: (index) => this.#constants.get(node.inputs[index] ?? ''),
      shapeValue: (index) => this.#shapeValues.get(node.inputs[index] ?? ''),
    });
    const outputs: ValueInfo[] = [];
    node.outputs.forEach((name, i) => {
      const out = inferred[i];
      if (name === '' || out === undefined) return;
      const info = { name, dtype: out.dtype, shape: out.shape };
      this.#define(info, node);
      outputs.push(info);
    });
    if (node.opType === 'Constant') {
      const value = node.attributes['value'];
      if (value?.type === 'tensor') this.#constants.set(node.outputs[0]!, value.value.data);
    }
    const values = shapeValueOf({
      opType: node.opType,
      attributes: node.attributes,
      inputs,
      outputs: inferred.map((t, i) => ({ name: node.outputs[i] ?? '', ...t })),
      value: (index) => this.#shapeValues.get(node.inputs[index] ?? ''),
    });
    if (values !== undefined && node.outputs[0] !== undefined && node.outputs[0] !== '') this.#shapeValues.set(node.outputs[0], values);
    return outputs;
  }

  /** The type of a value, or `undefined` when it is not defined. */
  type(name: string): ValueInfo | undefined {
    return this.#types.get(name);
  }

  /** The data of a constant value (initializer or `Constant` output). */
  constant(name: string): TensorData | undefined {
    return this.#constants.get(name);
  }

  /** The known values of a small integer tensor (possibly symbolic dims). */
  shapeValue(name: string): readonly Dim[] | undefined {
    return this.#shapeValues.get(name);
  }

  /** Every value defined so far, by name. */
  types(): ReadonlyMap<string, ValueInfo> {
    return this.#types;
  }

  #define(info: ValueInfo, node?: OnnxNode): void {
    if (this.#types.has(info.name)) {
      const where = node === undefined ? `value "${info.name}"` : `${node.opType} "${node.name}": output "${info.name}"`;
      throw new ShapeError(`${where} is already defined`);
    }
    this.#types.set(info.name, info);
  }
}
