import { attr } from '../../attributes.ts';
import { DTYPES } from '../../dtype.ts';
import type { OnnxGraph, ValueInfo } from '../../ir.ts';

/**
 * Test helper: appends `loss = mean((prediction - target)^2)` over all elements to a graph, with
 * `target` a new float64 graph input shaped like the prediction. The loss is computed in float64
 * (the prediction is cast), so finite differences of a float32 network are not limited by the
 * rounding of the loss itself. The prediction stays an output too.
 */
export function withMeanSquaredLoss(graph: OnnxGraph, prediction: string, target = 'target'): OnnxGraph {
  const predicted = graph.outputs.find((o) => o.name === prediction) ?? graph.valueInfo.find((v) => v.name === prediction);
  if (predicted === undefined) throw new Error(`"${prediction}" is not a typed value of graph "${graph.name}"`);
  const targetInfo: ValueInfo = { name: target, dtype: 'float64', shape: predicted.shape };
  const node = (opType: string, inputs: string[], output: string, attributes = {}) => ({ name: `loss/${output}`, opType, domain: '', inputs, outputs: [output], attributes });
  return {
    ...graph,
    inputs: [...graph.inputs, targetInfo],
    outputs: [...graph.outputs, { name: 'loss', dtype: 'float64', shape: [] }],
    nodes: [
      ...graph.nodes,
      node('Cast', [prediction], 'loss/prediction', { to: attr.int(DTYPES.float64.code) }),
      node('Sub', ['loss/prediction', target], 'loss/difference'),
      node('Mul', ['loss/difference', 'loss/difference'], 'loss/squared'),
      node('ReduceMean', ['loss/squared'], 'loss', { keepdims: attr.int(0) }),
    ],
  };
}
