import { ELEMENTWISE_OPS } from './elementwise-ops.ts';
import { ShapeError, type InferContext, type InferFn, type OutputType } from './infer-context.ts';
import { INDEX_OPS } from './index-ops.ts';
import { NN_OPS } from './nn-ops.ts';
import { SHAPE_OF_OPS } from './shape-of-ops.ts';
import { SHAPE_OPS } from './shape-ops.ts';

/** Every operator the IR knows, by ONNX op type (default domain, opset 17 semantics). */
export const OP_INFERENCE: Readonly<Record<string, InferFn>> = { ...ELEMENTWISE_OPS, ...SHAPE_OPS, ...SHAPE_OF_OPS, ...INDEX_OPS, ...NN_OPS };

/** Infers the output types of one node, or throws a {@link ShapeError} naming the node. */
export function inferNode(ctx: InferContext): OutputType[] {
  const infer = OP_INFERENCE[ctx.opType];
  if (infer === undefined) throw new ShapeError(`${ctx.opType} "${ctx.nodeName}": operator is not supported by the graph IR`);
  return infer(ctx);
}
