import { describe, expect, it } from 'vitest';
import { findLoraTargets } from './find-lora-targets.ts';
import { injectLora } from './inject-lora.ts';
import { parseLoraFile, serializeLoraFile, type TeamboothLoraInfo } from './lora-file.ts';
import { initLoraWeights } from './lora-weights.ts';
import { mergeLoraIntoWeights } from './merge-lora.ts';
import { parseSafetensors } from './parse-safetensors.ts';
import { float32Tensor, SafetensorsError } from './safetensors-format.ts';
import { serializeSafetensors } from './serialize-safetensors.ts';
import { compare, runGraph, unetFeeds, withRandomUp } from './testing/lora-test-support.ts';
import { torchStyleUnetFragment } from './testing/torch-style-unet-fragment.ts';

const fragment = torchStyleUnetFragment();
const info: TeamboothLoraInfo = { token: 'zxq', classWord: 'dog', baseModelHash: 'ab'.repeat(32), steps: 400, finalLoss: 0.0831, seed: 42, learningRate: 1e-4, batchSize: 4, mergeMethod: 'orthogonal' };

describe('LoRA files', () => {
  const lora = withRandomUp(initLoraWeights(findLoraTargets(fragment), { rank: 4, alpha: 2, seed: 9 }), 4, 0.1);

  it('are kohya-style safetensors with teambooth metadata', () => {
    const { tensors, metadata } = parseSafetensors(serializeLoraFile(lora, info));
    const key = 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k';
    expect(tensors.get(`${key}.lora_down.weight`)).toMatchObject({ dtype: 'F32', shape: [4, 16] });
    expect(tensors.get(`${key}.lora_up.weight`)).toMatchObject({ dtype: 'F32', shape: [32, 4] });
    expect(tensors.get(`${key}.alpha`)).toMatchObject({ dtype: 'F32', shape: [] });
    expect(tensors.size).toBe(8 * 3);
    expect(metadata).toMatchObject({
      ss_network_module: 'networks.lora',
      ss_network_dim: '4',
      ss_network_alpha: '2',
      teambooth_token: 'zxq',
      teambooth_class: 'dog',
      teambooth_base_model_sha256: 'ab'.repeat(32),
      teambooth_steps: '400',
      teambooth_final_loss: '0.0831',
      teambooth_seed: '42',
      teambooth_merge_method: 'orthogonal',
    });
  });

  it('round-trip exactly, and the loaded LoRA re-injects to the same output', async () => {
    const parsed = parseLoraFile(serializeLoraFile(lora, info, { note: 'x' }));
    expect(parsed.info).toEqual(info);
    expect(parsed.metadata['note']).toBe('x');
    const byKey = new Map(parsed.lora.layers.map((l) => [l.key, l]));
    for (const layer of lora.layers) {
      const got = byKey.get(layer.key)!;
      expect({ ...got, down: Array.from(got.down), up: Array.from(got.up) }).toEqual({ ...layer, down: Array.from(layer.down), up: Array.from(layer.up) });
    }
    const feeds = unetFeeds(fragment, 2, 3);
    const before = await runGraph(injectLora(fragment, lora).graph, feeds);
    const after = await runGraph(injectLora(fragment, parsed.lora).graph, feeds);
    expect(Array.from(after)).toEqual(Array.from(before));
    const merged = await runGraph(mergeLoraIntoWeights(fragment, parsed.lora), feeds);
    expect(compare(merged, before).maxDiff).toBeLessThan(1e-4);
  });

  it('without teambooth metadata still load, alpha defaulting to the rank', () => {
    const layer = lora.layers[0]!;
    const bytes = serializeSafetensors({
      [`${layer.key}.lora_down.weight`]: float32Tensor(layer.down, [4, layer.inFeatures]),
      [`${layer.key}.lora_up.weight`]: float32Tensor(layer.up, [layer.outFeatures, 4]),
    });
    const parsed = parseLoraFile(bytes);
    expect(parsed.info).toBeUndefined();
    expect(parsed.lora.layers[0]).toMatchObject({ key: layer.key, rank: 4, alpha: 4 });
  });

  it('refuse files that are not a usable LoRA, naming the key', () => {
    const layer = lora.layers[0]!;
    const down = float32Tensor(layer.down, [4, layer.inFeatures]);
    const up = float32Tensor(layer.up, [layer.outFeatures, 4]);
    const file = (tensors: Record<string, ReturnType<typeof float32Tensor>>) => () => parseLoraFile(serializeSafetensors(tensors));
    expect(file({ 'model.weight': down })).toThrowError(/unexpected tensor "model.weight"/);
    expect(file({ [`${layer.key}.lora_down.weight`]: down })).toThrowError(new RegExp(`LoRA layer ${layer.key} lacks its lora_up.weight`));
    expect(file({ [`${layer.key}.lora_down.weight`]: down, [`${layer.key}.lora_up.weight`]: float32Tensor(new Float32Array(96), [32, 3]) })).toThrowError(/lora_down has rank 4 but lora_up has rank 3/);
    expect(file({ [`${layer.key}.lora_down.weight`]: float32Tensor(layer.down, [4, layer.inFeatures, 1, 1]), [`${layer.key}.lora_up.weight`]: up })).toThrowError(/must be 2-D \(only linear layers/);
    const nan = Float32Array.from(layer.up);
    nan[5] = Number.NaN;
    expect(file({ [`${layer.key}.lora_down.weight`]: down, [`${layer.key}.lora_up.weight`]: float32Tensor(nan, [layer.outFeatures, 4]) })).toThrowError(/lora_up.weight holds a non-finite value \(NaN at index 5\)/);
    expect(file({ [`${layer.key}.lora_down.weight`]: down, [`${layer.key}.lora_up.weight`]: up, [`${layer.key}.alpha`]: float32Tensor(Float32Array.of(-1), []) })).toThrowError(/alpha must be positive and finite, is -1/);
    expect(() => parseLoraFile(serializeSafetensors({}))).toThrowError(SafetensorsError);
  });
});
