import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLoraTargets } from '../../gpu-agent/lora/find-lora-targets.ts';
import { serializeLoraFile } from '../../gpu-agent/lora/lora-file.ts';
import { initLoraWeights, type LoraWeights } from '../../gpu-agent/lora/lora-weights.ts';
import { mergeLoraIntoWeights } from '../../gpu-agent/lora/merge-lora.ts';
import { withRandomUp } from '../../gpu-agent/lora/testing/lora-test-support.ts';
import { isFloat, tensorBytes } from '../../gpu-agent/onnx/dtype.ts';
import type { OnnxGraph } from '../../gpu-agent/onnx/ir.ts';
import { readModel } from '../../gpu-agent/onnx/read-model.ts';
import { ensureTinyModel } from '../../gpu-agent/tiny-model/index.ts';
import { ContentStore } from '../blob-store/content-store.ts';
import type { ModelManifest } from '../blob-store/model-manifest.ts';
import { sha256Hex } from '../blob-store/s3-blob-store.ts';
import { silentLogger, startTestS3, type TestS3 } from '../blob-store/test-s3-fixture.ts';
import { importModelDirectory } from './import-model.ts';
import { LoraDeltaWorker } from './lora-delta-worker.ts';
import { mergeLoraIntoManifest } from './merge-lora-into-manifest.ts';
import { fillDeterministic, syntheticLinearIndex, syntheticWeightName } from './testing/synthetic-linear-model.ts';

const logger = silentLogger();
const meta = { version: 'v2', createdAt: '2026-01-02T00:00:00.000Z', subjects: ['zxq'], mergeMethod: 'sum' } as const;
let dir = '';
let s3: TestS3;
let store: ContentStore;
let base: ModelManifest;
let unet: OnnxGraph;
let lora: LoraWeights;
let worker: LoraDeltaWorker;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teambooth-merge-'));
  const model = await ensureTinyModel(join(dir, 'models'));
  s3 = await startTestS3();
  store = new ContentStore({ blobs: s3.store, logger });
  base = await importModelDirectory(model, store, { version: 'v1', createdAt: '2026-01-01T00:00:00.000Z' });
  unet = (await readModel(join(model, 'unet/model.onnx'))).graph;
  lora = withRandomUp(initLoraWeights(findLoraTargets(unet), { rank: 4, alpha: 2, seed: 2 }), 7, 0.2);
  worker = new LoraDeltaWorker();
});
afterAll(async () => {
  await worker.close();
  await s3.close();
  await rm(dir, { recursive: true, force: true });
});

/** A sink that counts the tensors it is asked to store. */
function countingSink(inner: ContentStore) {
  const sink = {
    puts: 0,
    putIfAbsent: (bytes: Uint8Array) => (sink.puts++, inner.putIfAbsent(bytes)),
    putHashed: (bytes: Uint8Array, hash: string) => (sink.puts++, inner.putHashed(bytes, hash)),
  };
  return sink;
}

describe('mergeLoraIntoManifest', () => {
  it('refuses a stored tensor whose bytes do not match its hash, and writes nothing', async () => {
    const sink = countingSink(store);
    const corrupt = async (hash: string) => {
      const bytes = (await store.getVerified(hash)).slice();
      bytes[0] = bytes[0]! ^ 0xff;
      return bytes;
    };
    await expect(mergeLoraIntoManifest(base, serializeLoraFile(lora), { ...meta, scale: 1, fetchTensor: corrupt, sink, worker })).rejects.toThrow(/hashes to [0-9a-f]{64}; the object store holds corrupt bytes/);
    expect(sink.puts).toBe(0);
  });

  it('gives every tensor the hash of a direct merge of the UNet, writing only the changed ones', async () => {
    const sink = countingSink(store);
    const objects = (await s3.store.list('tensors/')).length;
    const fetchTensor = (hash: string) => store.getVerified(hash);
    const merged = await mergeLoraIntoManifest(base, serializeLoraFile(lora), { ...meta, scale: 0.7, fetchTensor, sink, worker });
    expect(merged.manifest).toMatchObject({ version: 'v2', parent: 'v1', subjects: ['zxq'], mergeMethod: 'sum' });
    expect(merged.changed).toHaveLength(lora.layers.length);
    expect(sink.puts).toBe(lora.layers.length);
    expect(await s3.store.list('tensors/')).toHaveLength(objects + lora.layers.length);
    const direct = mergeLoraIntoWeights(unet, lora, { multiplier: 0.7 });
    for (const init of direct.initializers.filter((i) => isFloat(i.dtype))) expect(merged.manifest.tensors[`unet/${init.name}`]?.sha256, init.name).toBe(sha256Hex(tensorBytes(init.data)));
    const unchanged = Object.keys(base.tensors).filter((name) => !merged.changed.includes(name));
    for (const name of unchanged) expect(merged.manifest.tensors[name]).toEqual(base.tensors[name]);
    expect(unchanged.length).toBeGreaterThan(merged.changed.length);
  });

  it('computes W + scale * (alpha / rank) * up down in the [out, in] layout behind the Transpose', async () => {
    const layer = lora.layers[0]!;
    const target = findLoraTargets(unet).find((t) => layer.key.endsWith(t.modulePath.replaceAll('.', '_')))!;
    expect(target.layout).toBe('out-in');
    const merged = await mergeLoraIntoManifest(base, serializeLoraFile({ layers: [layer] }), {
      ...meta,
      scale: 1.5,
      fetchTensor: (hash) => store.getVerified(hash),
      sink: store,
      worker,
    });
    const before = new Float32Array((await store.getVerified(base.tensors[`unet/${target.weightName}`]!.sha256)).slice().buffer);
    const after = new Float32Array((await store.getVerified(merged.manifest.tensors[`unet/${target.weightName}`]!.sha256)).slice().buffer);
    const { rank, alpha, inFeatures: n, outFeatures: m, up, down } = layer;
    let maxError = 0;
    for (let o = 0; o < m; o++) {
      for (let i = 0; i < n; i++) {
        let product = 0;
        for (let r = 0; r < rank; r++) product += up[o * rank + r]! * down[r * n + i]!;
        maxError = Math.max(maxError, Math.abs(after[o * n + i]! - (before[o * n + i]! + 1.5 * (alpha / rank) * product)));
      }
    }
    expect(maxError).toBeLessThan(1e-6);
  });

  it('refuses a LoRA for another model, naming the layer', async () => {
    const wrong = { layers: [{ ...lora.layers[0]!, key: 'lora_unet_no_such_block_to_q' }] };
    await expect(
      mergeLoraIntoManifest(base, serializeLoraFile(wrong), { ...meta, scale: 1, fetchTensor: (hash) => store.getVerified(hash), sink: store, worker }),
    ).rejects.toThrow(/LoRA layer lora_unet_no_such_block_to_q matches no linear layer of graph "unet"/);
  });

  it('keeps the event loop responsive (5 ms timer) while the worker merges a large tensor set', async () => {
    const width = 1280;
    const count = 24;
    const bytes = new Map<string, Uint8Array>();
    const put = (data: Uint8Array) => {
      const hash = sha256Hex(data);
      bytes.set(hash, data);
      return hash;
    };
    const layers = Array.from({ length: count }, (_, i) => ({ modulePath: `mid_block.attentions.0.transformer_blocks.${i}.attn1.to_q`, inFeatures: width, outFeatures: width }));
    const tensors: ModelManifest['tensors'] = {
      'graphs/unet/model.onnx': { sha256: put(new Uint8Array(1)), shape: [1], dtype: 'U8' },
      'graphs/unet/model.onnx.linear-layers.json': { sha256: put(syntheticLinearIndex(layers)), shape: [1], dtype: 'U8' },
    };
    layers.forEach((_, i) => {
      const weight = new Uint8Array(fillDeterministic(new Float32Array(width * width), i).buffer);
      tensors[`unet/${syntheticWeightName(i)}`] = { sha256: put(weight), shape: [width, width], dtype: 'F32' };
    });
    const synthetic: ModelManifest = { ...base, tensors };
    const down = fillDeterministic(new Float32Array(4 * width), 99);
    const up = fillDeterministic(new Float32Array(width * 4), 98);
    const file = serializeLoraFile({ layers: layers.map((l) => ({ key: `lora_unet_${l.modulePath.replaceAll('.', '_')}`, rank: 4, alpha: 4, inFeatures: width, outFeatures: width, down, up })) });
    // Each tensor is read once, so the stored bytes themselves can go to the worker (which takes them).
    const fetchTensor = async (hash: string) => bytes.get(hash)!;
    let last = performance.now();
    let maxGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 5);
    const started = performance.now();
    try {
      const merged = await mergeLoraIntoManifest(synthetic, file, { ...meta, scale: 1, fetchTensor, sink: { putIfAbsent: async (data) => put(data), putHashed: async (data) => void put(data) }, worker });
      expect(merged.changed).toHaveLength(count);
    } finally {
      clearInterval(timer);
    }
    // Arithmetic on this thread would stall the timer for most of the merge; the worker leaves only
    // scheduling noise (which on a loaded 2-core machine reaches a few hundred ms).
    const elapsed = performance.now() - started;
    expect(maxGap).toBeLessThan(Math.max(250, elapsed / 4));
  });
});
