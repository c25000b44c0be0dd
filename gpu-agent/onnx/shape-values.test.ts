import { describe, expect, it } from 'vitest';
import { attr } from './attributes.ts';
import { GraphBuilder, type Value } from './graph-builder.ts';
import { inferGraph } from './infer-graph.ts';
import type { HostTensor } from './runtime.ts';
import { runModel } from './testing/run-model.ts';

function floats(dims: number[]): HostTensor {
  return { dtype: 'float32', dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => (i % 7) - 3) };
}

/** Marks each value as an output, checks inference against the graph, runs it, and returns the dims onnxruntime produced. */
async function dimsAfterRun(b: GraphBuilder, outputs: Record<string, Value>, feeds: Record<string, HostTensor>): Promise<Record<string, number[]>> {
  for (const [name, value] of Object.entries(outputs)) b.output(value, name);
  inferGraph(b.build());
  const result = await runModel(b.model(), feeds);
  return Object.fromEntries(Object.keys(outputs).map((name) => [name, [...result[name]!.dims]]));
}

describe('shape values and the shape-computing ops', () => {
  it('follows torch-style Shape -> Gather -> Div -> Concat -> Reshape with a symbolic batch', async () => {
    const b = new GraphBuilder('torch-style');
    const x = b.input('x', 'float32', ['batch', 4, 6]);
    const shape = b.node('Shape', [x])[0]!;
    const batch = b.unsqueeze(b.gather(shape, b.constant('int64', [], [0])), [0]);
    const half = b.unsqueeze(b.div(b.gather(shape, b.constant('int64', [], [2])), b.scalar(2, 'int64')), [0]);
    const reshaped = b.node('Reshape', [x, b.concat([batch, b.ints([4]), half, b.ints([2])], 0)])[0]!;
    expect(reshaped.shape).toEqual(['batch', 4, 3, 2]);
    const expanded = b.node('Expand', [b.constant('float32', [1, 1, 6], [1, 2, 3, 4, 5, 6]), shape])[0]!;
    const zeros = b.node('ConstantOfShape', [b.node('Shape', [x], { start: attr.int(1) })[0]!])[0]!;
    expect(expanded.shape).toEqual(['batch', 4, 6]);
    expect(zeros.shape).toEqual([4, 6]);
    const dims = await dimsAfterRun(b, { reshaped, expanded, zeros }, { x: floats([3, 4, 6]) });
    expect(dims).toEqual({ reshaped: [3, 4, 3, 2], expanded: [3, 4, 6], zeros: [4, 6] });
  });

  it('infers Split, Pad, Tile, Range, Size, Sum, Sign, ScatterND, ScatterElements, InstanceNormalization as onnxruntime computes them', async () => {
    const b = new GraphBuilder('ops');
    const x = b.input('x', 'float32', [2, 6]);
    const [left, right] = b.node('Split', [x, b.ints([2, 4])], { axis: attr.int(1) }, 2);
    const [even] = b.node('Split', [x], { axis: attr.int(0) }, 2);
    const padded = b.node('Pad', [x, b.ints([1, 0, 0, -2])])[0]!;
    const tiled = b.node('Tile', [x, b.ints([2, 1])])[0]!;
    const range = b.node('Range', [b.scalar(1, 'int64'), b.scalar(8, 'int64'), b.scalar(3, 'int64')])[0]!;
    const size = b.node('Size', [x])[0]!;
    const sum = b.node('Sum', [x, b.constant('float32', [6], [1, 2, 3, 4, 5, 6]), b.scalar(1)])[0]!;
    const sign = b.node('Sign', [x])[0]!;
    const scattered = b.node('ScatterND', [x, b.constant('int64', [2, 1], [1, 1]), b.mul(x, 2)], { reduction: attr.string('add') })[0]!;
    const elements = b.node('ScatterElements', [x, b.constant('int64', [2, 1], [0, 5]), b.slice(x, { starts: [0], ends: [1], axes: [1] })], { axis: attr.int(1) })[0]!;
    const image = b.reshape(x, [1, 2, 3, 2]);
    const instance = b.node('InstanceNormalization', [image, b.constant('float32', [2], [1, 2]), b.constant('float32', [2], [0, 1])])[0]!;
    const [normed, mean] = b.node('LayerNormalization', [x, b.constant('float32', [6], [1, 1, 1, 1, 1, 1])], { axis: attr.int(1) }, 2);
    const outputs = { left: left!, right: right!, even: even!, padded, tiled, range, size, sum, sign, scattered, elements, instance, normed: normed!, mean: mean! };
    const dims = await dimsAfterRun(b, outputs, { x: floats([2, 6]) });
    for (const [name, value] of Object.entries(outputs)) expect(dims[name], name).toEqual(value.shape);
    expect(range.shape).toEqual([3]);
    expect(mean!.shape).toEqual([2, 1]);
  });
});
