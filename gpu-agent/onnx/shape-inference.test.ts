import { describe, expect, it } from 'vitest';
import { attr } from './attributes.ts';
import { GraphBuilder } from './graph-builder.ts';
import { inferGraph } from './infer-graph.ts';
import { ShapeError } from './ops/infer-context.ts';

function builder(): GraphBuilder {
  return new GraphBuilder('shapes');
}

describe('shape inference', () => {
  it('infers static and symbolic shapes through a small network', () => {
    const b = builder();
    const x = b.input('x', 'float32', ['batch', 3, 16, 16]);
    const w = b.initializer('w', 'float32', [8, 3, 3, 3], new Float32Array(8 * 27));
    const y = b.conv(x, w, undefined, { pads: [1, 1, 1, 1], strides: [2, 2] });
    expect(y.shape).toEqual(['batch', 8, 8, 8]);
    const tokens = b.transpose(b.reshape(y, ['batch', 8, 64]), [0, 2, 1]);
    expect(tokens.shape).toEqual(['batch', 64, 8]);
    expect(b.matMul(tokens, b.transpose(tokens, [0, 2, 1])).shape).toEqual(['batch', 64, 64]);
    expect(b.reduceMean(tokens, [1, 2]).shape).toEqual(['batch', 1, 1]);
    expect(b.argMax(tokens, 1).shape).toEqual(['batch', 8]);
    expect(b.argMax(tokens, 1).dtype).toBe('int64');
    expect(b.resizeNearest(y, [1, 1, 2, 2]).shape).toEqual(['batch', 8, 16, 16]);
    expect(b.add(y, b.initializer('bias', 'float32', [8, 1, 1], new Float32Array(8))).shape).toEqual(['batch', 8, 8, 8]);
    b.output(y, 'y');
    const graph = b.build();
    expect(inferGraph(graph).get('y')?.shape).toEqual(['batch', 8, 8, 8]);
  });

  it('rejects broadcasting of incompatible dims, naming the shapes', () => {
    const b = builder();
    const x = b.input('x', 'float32', [2, 3]);
    const y = b.input('y', 'float32', [4]);
    expect(() => b.add(x, y)).toThrow(ShapeError);
    expect(() => b.add(x, y)).toThrow(/Add .*cannot broadcast shapes \[2, 3\] and \[4\]/);
    const batch = b.input('batch', 'float32', ['batch', 3]);
    expect(() => b.add(batch, b.input('three', 'float32', [3, 3]))).toThrow(/cannot broadcast/);
    expect(b.add(batch, b.input('one', 'float32', [1, 3])).shape).toEqual(['batch', 3]);
  });

  it('rejects mismatched element types', () => {
    const b = builder();
    expect(() => b.add(b.input('x', 'float32', [2]), b.input('i', 'int32', [2]))).toThrow(/"x" is float32 but "i" is int32/);
    expect(() => b.sqrt(b.input('j', 'int64', [2]))).toThrow(/must be a float tensor/);
  });

  it('rejects MatMul, Gemm and Conv operands that do not fit', () => {
    const b = builder();
    const a = b.input('a', 'float32', ['batch', 4, 5]);
    expect(() => b.matMul(a, b.input('w', 'float32', [6, 7]))).toThrow(/"a" \[batch, 4, 5\] times "w" \[6, 7\]: inner dims 5 and 6 differ/);
    expect(() => b.gemm(b.input('m', 'float32', [3, 4]), b.input('n', 'float32', [3, 4]))).toThrow(/inner dims 4 and 3 differ/);
    const image = b.input('image', 'float32', [1, 3, 8, 8]);
    expect(() => b.conv(image, b.input('k', 'float32', [8, 4, 3, 3]))).toThrow(/has 3 channels but weight "k"/);
    expect(() => b.conv(image, b.input('big', 'float32', [8, 3, 11, 11]))).toThrow(/does not fit/);
  });

  it('rejects reshapes that change the element count or cannot be resolved statically', () => {
    const b = builder();
    const x = b.input('x', 'float32', ['batch', 4, 6]);
    expect(() => b.reshape(x, ['batch', 25])).toThrow(/cannot reshape "x" \[batch, 4, 6\]/);
    expect(b.reshape(x, ['batch', 2, 12]).shape).toEqual(['batch', 2, 12]);
    expect(b.reshape(x, [24, 'batch']).shape).toEqual([24, 'batch']);
    const two = b.input('two', 'float32', ['batch', 'tokens', 6]);
    expect(() => b.reshape(two, [6, 'batch', 'tokens'])).toThrow(/cannot be inferred statically/);
    expect(() => b.reshape(x, ['other', 24])).toThrow(/Reshape/);
  });

  it('rejects Concat, Transpose, Slice, Squeeze and LayerNormalization misuse', () => {
    const b = builder();
    const x = b.input('x', 'float32', ['batch', 3, 4]);
    expect(() => b.concat([x, b.input('y', 'float32', ['batch', 3, 5])], 1)).toThrow(/differ outside axis 1/);
    expect(b.concat([x, b.input('z', 'float32', ['batch', 3, 5])], 2).shape).toEqual(['batch', 3, 9]);
    expect(() => b.transpose(x, [0, 0, 1])).toThrow(/not a permutation/);
    expect(() => b.slice(x, { starts: [0], ends: [1], axes: [0] })).toThrow(/cannot slice symbolic dim "batch"/);
    expect(b.slice(x, { starts: [1], ends: [100], axes: [2] }).shape).toEqual(['batch', 3, 3]);
    expect(() => b.squeeze(x, [1])).toThrow(/its size is not 1/);
    expect(() => b.layerNormalization(x, b.input('scale', 'float32', [3]))).toThrow(/does not match the normalized dims \[4\]/);
    expect(() => b.softmax(x, 3)).toThrow(/axis 3 is out of range for rank 3/);
  });

  it('rejects values of another graph, unknown operators and duplicate names', () => {
    const b = builder();
    const other = builder().input('x', 'float32', [2]);
    const own = b.input('own', 'float32', [2]);
    expect(() => b.add(own, other)).toThrow(/does not belong to graph "shapes"/);
    expect(() => b.node('FancyOp', [own])).toThrow(/FancyOp .*not supported/);
    expect(() => b.input('own', 'float32', [2])).toThrow(/defined twice/);
    expect(() => b.initializer('short', 'float32', [2, 2], [1, 2, 3])).toThrow(/3 values do not fill dims \[2, 2\]/);
    expect(() => b.node('Cast', [own], { to: attr.int(8) })).toThrow(/unsupported ONNX element type 8/);
  });

  it('inferGraph finds declared types that disagree with the nodes and undefined inputs', () => {
    const b = builder();
    const x = b.input('x', 'float32', ['batch', 2]);
    b.output(b.mul(x, 2), 'y');
    const graph = b.build();
    const wrongOutput = { ...graph, outputs: [{ name: 'y', dtype: 'float32' as const, shape: ['batch', 3] }] };
    expect(() => inferGraph(wrongOutput)).toThrow(/"y" is declared float32 \[batch, 3\] but computes float32 \[batch, 2\]/);
    const missingInput = { ...graph, inputs: [] };
    expect(() => inferGraph(missingInput)).toThrow(/input "x" is not defined before the node/);
  });
});
