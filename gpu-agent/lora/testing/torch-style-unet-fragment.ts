import { attr } from '../../onnx/attributes.ts';
import type { AttributeValue, Initializer, OnnxGraph, OnnxNode, ValueInfo } from '../../onnx/ir.ts';
import { seededRandom } from '../../tiny-model/seeded-random.ts';

/** Sizes of {@link torchStyleUnetFragment}; `tokens` is what tests feed for the symbolic `sequence` dim. */
export const FRAGMENT = { channels: 4, size: 4, width: 32, tokens: 8, textWidth: 16 } as const;

/**
 * Test helper: a UNet fragment written the way `torch.onnx.export` names things in a Stable
 * Diffusion UNet: nodes `/down_blocks.0/attentions.0/transformer_blocks.0/attn1/to_q/MatMul`,
 * constant-folded projection weights as anonymous `[in, out]` initializers (`onnx::MatMul_1001`),
 * biases and norms under their PyTorch names. It has the UNet's interface (`sample`, `timestep`,
 * `encoder_hidden_states` -> `out_sample`): conv_in, a timestep term, one transformer block with
 * self- and cross-attention (single head), conv_out.
 */
export function torchStyleUnetFragment(seed = 3): OnnxGraph {
  const { channels, size, width, textWidth } = FRAGMENT;
  const nodes: OnnxNode[] = [];
  const initializers: Initializer[] = [];
  const random = seededRandom(seed, 'torch-fragment');
  const weight = (name: string, dims: number[], std: number): string => {
    const count = dims.reduce((a, b) => a * b, 1);
    initializers.push({ name, dtype: 'float32', dims, data: Float32Array.from({ length: count }, () => random.normal() * std) });
    return name;
  };
  const ints = (name: string, values: number[]): string => {
    initializers.push({ name, dtype: 'int64', dims: [values.length], data: BigInt64Array.from(values, BigInt) });
    return name;
  };
  const node = (name: string, opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}): string => {
    const output = `${name}_output_0`;
    nodes.push({ name, opType, domain: '', inputs, outputs: [output], attributes });
    return output;
  };
  const block = '/down_blocks.0/attentions.0/transformer_blocks.0';
  const param = 'down_blocks.0.attentions.0.transformer_blocks.0';
  let folded = 1000;
  const linear = (scope: string, x: string, inFeatures: number, bias?: string): string => {
    const y = node(`${scope}/MatMul`, 'MatMul', [x, weight(`onnx::MatMul_${++folded}`, [inFeatures, width], 1 / Math.sqrt(inFeatures))]);
    return bias === undefined ? y : node(`${scope}/Add`, 'Add', [bias, y]);
  };
  const attention = (name: 'attn1' | 'attn2', x: string, context: string, contextWidth: number): string => {
    const scope = `${block}/${name}`;
    const q = linear(`${scope}/to_q`, x, width);
    const k = linear(`${scope}/to_k`, context, contextWidth);
    const v = linear(`${scope}/to_v`, context, contextWidth);
    const kT = node(`${scope}/Transpose`, 'Transpose', [k], { perm: attr.ints([0, 2, 1]) });
    const scores = node(`${scope}/Mul`, 'Mul', [node(`${scope}/MatMul`, 'MatMul', [q, kT]), scalarInit(initializers, `${scope}/Constant_output_0`, 1 / Math.sqrt(width))]);
    const attended = node(`${scope}/MatMul_1`, 'MatMul', [node(`${scope}/Softmax`, 'Softmax', [scores], { axis: attr.int(-1) }), v]);
    return linear(`${scope}/to_out.0`, attended, width, weight(`${param}.${name}.to_out.0.bias`, [width], 0.02));
  };
  const layerNorm = (name: string, x: string): string =>
    node(`${block}/${name}/LayerNormalization`, 'LayerNormalization', [x, ones(initializers, `${param}.${name}.weight`, width), weight(`${param}.${name}.bias`, [width], 0.02)], {
      axis: attr.int(-1),
      epsilon: attr.float(1e-5),
    });

  const inputs: ValueInfo[] = [
    { name: 'sample', dtype: 'float32', shape: ['batch', channels, size, size] },
    { name: 'timestep', dtype: 'int64', shape: ['batch'] },
    // Text length is symbolic, as in torch exports of Stable Diffusion (`sequence`).
    { name: 'encoder_hidden_states', dtype: 'float32', shape: ['batch', 'sequence', textWidth] },
  ];
  const pads = { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]), group: attr.int(1) };
  let h = node('/conv_in/Conv', 'Conv', ['sample', weight('conv_in.weight', [width, channels, 3, 3], 1 / Math.sqrt(channels * 9)), weight('conv_in.bias', [width], 0.02)], pads);
  const t = node('/time_proj/Cast', 'Cast', ['timestep'], { to: attr.int(1) });
  const angle = node('/time_proj/Mul', 'Mul', [node('/time_proj/Unsqueeze', 'Unsqueeze', [t, ints('onnx::Unsqueeze_10', [1])]), weight('onnx::Mul_11', [1, width], 0.003)]);
  const temb = node('/time_proj/Unsqueeze_1', 'Unsqueeze', [node('/time_proj/Sin', 'Sin', [angle]), ints('onnx::Unsqueeze_12', [2, 3])]);
  h = node('/down_blocks.0/resnets.0/Add', 'Add', [h, temb]);
  let x = node(`${block}/Transpose`, 'Transpose', [node(`${block}/Reshape`, 'Reshape', [h, ints('onnx::Reshape_13', [0, width, size * size])])], { perm: attr.ints([0, 2, 1]) });
  const normed = layerNorm('norm1', x);
  x = node(`${block}/Add`, 'Add', [attention('attn1', normed, normed, width), x]);
  x = node(`${block}/Add_1`, 'Add', [attention('attn2', layerNorm('norm2', x), 'encoder_hidden_states', textWidth), x]);
  h = node(`${block}/Reshape_1`, 'Reshape', [node(`${block}/Transpose_1`, 'Transpose', [x], { perm: attr.ints([0, 2, 1]) }), ints('onnx::Reshape_14', [0, width, size, size])]);
  node('/conv_out/Conv', 'Conv', [h, weight('conv_out.weight', [channels, width, 3, 3], 1 / Math.sqrt(width * 9)), weight('conv_out.bias', [channels], 0.02)], pads);
  nodes[nodes.length - 1] = { ...nodes[nodes.length - 1]!, outputs: ['out_sample'] };
  return {
    name: 'torch_jit',
    inputs,
    outputs: [{ name: 'out_sample', dtype: 'float32', shape: ['batch', channels, size, size] }],
    initializers,
    nodes,
    valueInfo: [],
  };
}

function scalarInit(initializers: Initializer[], name: string, value: number): string {
  initializers.push({ name, dtype: 'float32', dims: [], data: Float32Array.of(value) });
  return name;
}

function ones(initializers: Initializer[], name: string, width: number): string {
  initializers.push({ name, dtype: 'float32', dims: [width], data: new Float32Array(width).fill(1) });
  return name;
}
