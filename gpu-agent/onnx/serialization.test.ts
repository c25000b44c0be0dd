import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attr } from './attributes.ts';
import { GraphBuilder } from './graph-builder.ts';
import { inferGraph } from './infer-graph.ts';
import type { OnnxModel } from './ir.ts';
import { createOnnxCodec } from './onnx-codec.ts';
import { readModel } from './read-model.ts';
import { runModel } from './testing/run-model.ts';
import { writeModel } from './write-model.ts';

/** A model with every attribute kind, every element type, symbolic dims and one large weight. */
function sampleModel(): OnnxModel {
  const b = new GraphBuilder('sample');
  const x = b.input('x', 'float32', ['batch', 16]);
  const weight = b.initializer('layer.weight', 'float32', [16, 64], Float32Array.from({ length: 1024 }, (_, i) => Math.sin(i) / 8));
  const bias = b.initializer('layer.bias', 'float32', [64], Float32Array.from({ length: 64 }, (_, i) => i / 64));
  b.initializer('half', 'float16', [2], new Uint16Array([0x3c00, 0xc000]));
  b.initializer('flags', 'bool', [3], new Uint8Array([1, 0, 1]));
  b.initializer('wide', 'float64', [2], new Float64Array([Math.PI, -1e-300]));
  b.initializer('count', 'int32', [], new Int32Array([7]));
  const y = b.gemm(x, weight, bias, { alpha: 0.5, beta: 2 });
  const z = b.node('Softmax', [b.reshape(y, ['batch', 4, 16])], { axis: attr.int(-1) })[0]!;
  const up = b.resizeNearest(b.reshape(z, ['batch', 1, 4, 16]), [1, 1, 2, 1]);
  b.output(b.transpose(up, [0, 1, 3, 2]), 'out');
  return b.model({ docString: 'round trip', metadata: { purpose: 'test' } });
}

const feeds = { x: { dtype: 'float32' as const, dims: [2, 16], data: Float32Array.from({ length: 32 }, (_, i) => (i % 7) - 3) } };

describe('ModelProto serialization', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'teambooth-serialize-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips a model through bytes: graph, attributes, all element types, symbolic dims', () => {
    const model = sampleModel();
    const codec = createOnnxCodec();
    const decoded = codec.decode(codec.encode(model));
    expect(decoded).toEqual(model);
    expect(inferGraph(decoded.graph).get('out')?.shape).toEqual(['batch', 1, 16, 8]);
  });

  it('encodes deterministically: the same model gives the same bytes', async () => {
    await writeModel(join(dir, 'a.onnx'), sampleModel(), { externalData: {} });
    await writeModel(join(dir, 'b.onnx'), sampleModel(), { externalData: { location: 'a.onnx_data' } });
    const hash = async (file: string): Promise<string> => createHash('sha256').update(await readFile(join(dir, file))).digest('hex');
    expect(await hash('a.onnx')).toBe(await hash('b.onnx'));
  });

  it('keeps large float tensors in an external data file and reads them back', async () => {
    const model = sampleModel();
    const path = join(dir, 'external.onnx');
    const written = await writeModel(path, model, { externalData: { location: 'external.weights', sizeThreshold: 256, alignment: 64 } });
    expect(written.externalPath).toBe(join(dir, 'external.weights'));
    expect(written.externalBytes).toBe(4096 + 256);
    expect((await stat(join(dir, 'external.weights'))).size).toBe(written.externalBytes);
    expect(written.modelBytes).toBeLessThan(4096);
    const read = await readModel(path);
    expect(read).toEqual(model);
  });

  it('runs the same in onnxruntime with inline and external weights', async () => {
    const inline = await runModel(sampleModel(), feeds);
    const external = await runModel(sampleModel(), feeds, { externalData: { sizeThreshold: 256 } });
    expect(inline.out?.dims).toEqual([2, 1, 16, 8]);
    expect(Array.from(external.out!.data as Float32Array)).toEqual(Array.from(inline.out!.data as Float32Array));
  });

  it('refuses external data outside the model folder and names corrupt files', async () => {
    const codec = createOnnxCodec();
    const evil = codec.encode(sampleModel(), (t) => (t.name === 'layer.weight' ? { location: '../escape.bin', offset: 0, length: 4096 } : undefined));
    await writeFile(join(dir, 'evil.onnx'), evil);
    await expect(readModel(join(dir, 'evil.onnx'))).rejects.toThrow(/"layer.weight" points outside the model folder/);
    await writeFile(join(dir, 'corrupt.onnx'), Buffer.from('definitely not protobuf'));
    await expect(readModel(join(dir, 'corrupt.onnx'))).rejects.toThrow(/corrupt\.onnx/);
  });
});
