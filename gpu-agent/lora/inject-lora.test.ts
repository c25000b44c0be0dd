import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferGraph } from '../onnx/infer-graph.ts';
import type { OnnxGraph } from '../onnx/ir.ts';
import { readModel } from '../onnx/read-model.ts';
import { ensureTinyModel } from '../tiny-model/index.ts';
import { findLoraTargets, NoLoraTargetsError } from './find-lora-targets.ts';
import { injectLora } from './inject-lora.ts';
import { initLoraWeights } from './lora-weights.ts';
import { addLoraDelta, mergeLoraIntoWeights } from './merge-lora.ts';
import { compare, runGraph, unetFeeds, withRandomUp } from './testing/lora-test-support.ts';
import { torchStyleUnetFragment } from './testing/torch-style-unet-fragment.ts';

let dir = '';
let unet: OnnxGraph;
let textEncoder: OnnxGraph;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teambooth-lora-'));
  const model = await ensureTinyModel(join(dir, 'models'));
  unet = (await readModel(join(model, 'unet/model.onnx'))).graph;
  textEncoder = (await readModel(join(model, 'text_encoder/model.onnx'))).graph;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('LoRA on the tiny model', () => {
  it('finds the attention projections of every transformer block by their diffusers names', () => {
    const targets = findLoraTargets(unet);
    // Transformers in down_blocks.1, mid_block and up_blocks.0 (two): 4 blocks x 2 attentions x 4 projections.
    expect(targets).toHaveLength(32);
    const toK = targets.find((t) => t.modulePath === 'down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k')!;
    expect(toK).toMatchObject({ key: 'lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k', layout: 'out-in', inFeatures: 64, outFeatures: 64, dtype: 'float32' });
    expect(toK.weightName).toBe('down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight');
    expect(targets.filter((t) => t.modulePath.endsWith('to_out.0'))).toHaveLength(8);
    expect(findLoraTargets(unet, { modules: ['to_k', 'to_v'], include: (p) => p.includes('.attn2.') })).toHaveLength(8);
  });

  it('with up = 0 computes exactly the base model; with up != 0 it differs, and merging gives the same output', async () => {
    const feeds = unetFeeds(unet, 2, 11);
    const base = await runGraph(unet, feeds);
    const lora = initLoraWeights(findLoraTargets(unet), { rank: 4, alpha: 4, seed: 5 });
    const injected = injectLora(unet, lora);
    expect(injected.parameters[0]).toEqual({
      key: lora.layers[0]!.key,
      down: `${lora.layers[0]!.key}.lora_down.weight`,
      up: `${lora.layers[0]!.key}.lora_up.weight`,
    });
    expect(() => inferGraph(injected.graph)).not.toThrow();
    expect(Buffer.from((await runGraph(injected.graph, feeds)).buffer).equals(Buffer.from(base.buffer))).toBe(true);

    const trained = withRandomUp(lora, 99);
    const adapted = await runGraph(injectLora(unet, trained).graph, feeds);
    const change = compare(adapted, base);
    expect(change.maxDiff).toBeGreaterThan(1e-3 * change.scale);
    const merged = await runGraph(mergeLoraIntoWeights(unet, trained), feeds);
    expect(compare(merged, adapted).maxDiff).toBeLessThan(1e-4 * change.scale + 1e-5);
    const half = await runGraph(mergeLoraIntoWeights(unet, trained, { multiplier: 0.5 }), feeds);
    const halfInjected = await runGraph(injectLora(unet, trained, { multiplier: 0.5 }).graph, feeds);
    expect(compare(half, halfInjected).maxDiff).toBeLessThan(1e-4 * change.scale + 1e-5);
  });

  it('keeps weight names when merging, so only the adapted tensors change', () => {
    const lora = withRandomUp(initLoraWeights(findLoraTargets(unet).slice(0, 2), { rank: 2, seed: 1 }), 3);
    const merged = mergeLoraIntoWeights(unet, lora);
    expect(merged.initializers.map((i) => i.name)).toEqual(unet.initializers.map((i) => i.name));
    const changed = merged.initializers.filter((init, i) => init.data !== unet.initializers[i]!.data).map((i) => i.name);
    expect(changed).toEqual(findLoraTargets(unet).slice(0, 2).map((t) => t.weightName));
  });

  it('uses fixed down-projections for the orthogonal merge and checks ranks', () => {
    const targets = findLoraTargets(unet).slice(0, 1);
    const fixed = new Float32Array(2 * targets[0]!.inFeatures).fill(0.25);
    const lora = initLoraWeights(targets, { rank: 2, seed: 1, fixedDown: new Map([[targets[0]!.key, fixed]]) });
    expect(Array.from(lora.layers[0]!.down)).toEqual(Array.from(fixed));
    expect(() => initLoraWeights(findLoraTargets(unet).slice(0, 2), { rank: 2, seed: 1, fixedDown: new Map([[targets[0]!.key, fixed]]) })).toThrowError(/no fixed down-projection was given for lora_unet_/);
    expect(() => initLoraWeights(targets, { rank: 65, seed: 1 })).toThrowError(/rank 65 exceeds the size of .*to_q \(64x64\)/);
  });

  it('refuses a model without attention projections, and a LoRA for another model', () => {
    expect(() => findLoraTargets(textEncoder)).toThrowError(NoLoraTargetsError);
    expect(() => findLoraTargets(textEncoder)).toThrowError(/graph "text_encoder" has no layer to adapt with LoRA .*to_q, to_k, to_v, to_out.0; its linear layers are text_model\./);
    const fragment = torchStyleUnetFragment();
    const lora = initLoraWeights(findLoraTargets(unet).slice(0, 1), { rank: 2, seed: 1 });
    expect(() => injectLora(fragment, lora)).toThrowError(/LoRA layer lora_unet_down_blocks_1_.* matches no linear layer of graph "torch_jit"/);
    const wrong = { layers: [{ ...lora.layers[0]!, key: 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q' }] };
    expect(() => mergeLoraIntoWeights(fragment, wrong)).toThrowError(/is 64x64 but down_blocks\.0\.attentions\.0\.transformer_blocks\.0\.attn1\.to_q of graph "torch_jit" is 32x32/);
  });
});

describe('LoRA on a torch-exported UNet', () => {
  const fragment = torchStyleUnetFragment();

  it('maps torch node names back to module paths and reads the folded [in, out] weights', () => {
    const targets = findLoraTargets(fragment);
    expect(targets.map((t) => t.key)).toEqual(
      ['attn1', 'attn2'].flatMap((a) => ['to_q', 'to_k', 'to_v', 'to_out_0'].map((p) => `lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_${a}_${p}`)),
    );
    const toK = targets.find((t) => t.key.endsWith('attn2_to_k'))!;
    expect(toK).toMatchObject({ layout: 'in-out', inFeatures: 16, outFeatures: 32, nodeName: '/down_blocks.0/attentions.0/transformer_blocks.0/attn2/to_k/MatMul' });
    expect(toK.weightName).toMatch(/^onnx::MatMul_\d+$/);
  });

  it('injects and merges with the same result as on the tiny model', async () => {
    expect(() => inferGraph(fragment)).not.toThrow();
    const feeds = unetFeeds(fragment, 3, 5);
    const base = await runGraph(fragment, feeds);
    const lora = initLoraWeights(findLoraTargets(fragment), { rank: 4, alpha: 8, seed: 2 });
    const injected = injectLora(fragment, lora).graph;
    expect(() => inferGraph(injected)).not.toThrow();
    expect(Buffer.from((await runGraph(injected, feeds)).buffer).equals(Buffer.from(base.buffer))).toBe(true);
    const trained = withRandomUp(lora, 8, 0.2);
    const adapted = await runGraph(injectLora(fragment, trained).graph, feeds);
    const change = compare(adapted, base);
    expect(change.maxDiff).toBeGreaterThan(1e-3 * change.scale);
    const merged = await runGraph(mergeLoraIntoWeights(fragment, trained), feeds);
    expect(compare(merged, adapted).maxDiff).toBeLessThan(1e-4 * change.scale + 1e-5);
  });

  it('adds the delta in either weight layout', () => {
    const layer = { key: 'k', rank: 1, alpha: 2, inFeatures: 2, outFeatures: 3, down: Float32Array.of(1, 2), up: Float32Array.of(1, 0, -1) };
    const outIn = new Float32Array(6);
    addLoraDelta(outIn, 'out-in', layer);
    expect(Array.from(outIn)).toEqual([2, 4, 0, 0, -2, -4]);
    const inOut = new Float32Array(6);
    addLoraDelta(inOut, 'in-out', layer, 0.5);
    expect(Array.from(inOut)).toEqual([1, 0, -1, 2, 0, -2]);
  });
});
