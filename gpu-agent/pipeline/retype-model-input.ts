import { DTYPES } from '../onnx/dtype.ts';
import type { DType, OnnxNode, Shape } from '../onnx/ir.ts';
import { readModel } from '../onnx/read-model.ts';
import { writeModel } from '../onnx/write-model.ts';

/**
 * Rewrites an ONNX model file so that graph input `name` takes another element type and shape,
 * with a Cast back to the original type in front of its uses. Tests use it to turn the tiny model
 * into exports with other metadata (int64 `input_ids`, a float `timestep` of shape `[1]`, float16
 * activations), as real Stable Diffusion exports have. Declared intermediate shapes are dropped,
 * since the new shape may differ from them. `externalData` keeps the weights in a side file.
 */
export async function retypeModelInput(
  modelPath: string,
  name: string,
  dtype: DType,
  shape: Shape,
  options: { externalData?: { location: string }; signal?: AbortSignal } = {},
): Promise<void> {
  const model = await readModel(modelPath, options.signal === undefined ? {} : { signal: options.signal });
  const graph = model.graph;
  const original = graph.inputs.find((input) => input.name === name);
  if (original === undefined) throw new Error(`${modelPath} has no input "${name}"`);
  const inner = `${name}__${original.dtype}`;
  const cast: OnnxNode = {
    name: `retype_${name}`,
    opType: 'Cast',
    domain: '',
    inputs: [name],
    outputs: [inner],
    attributes: { to: { type: 'int', value: DTYPES[original.dtype].code } },
  };
  const nodes = graph.nodes.map((node) => ({ ...node, inputs: node.inputs.map((input) => (input === name ? inner : input)) }));
  await writeModel(
    modelPath,
    {
      ...model,
      graph: {
        ...graph,
        inputs: graph.inputs.map((input) => (input.name === name ? { name, dtype, shape } : input)),
        nodes: [cast, ...nodes],
        valueInfo: [],
      },
    },
    {
      ...(options.externalData === undefined ? {} : { externalData: options.externalData }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    },
  );
}
