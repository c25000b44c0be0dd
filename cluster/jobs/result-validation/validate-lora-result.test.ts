import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLoraTargets, type LoraTarget } from '../../../gpu-agent/lora/find-lora-targets.ts';
import { serializeLoraFile } from '../../../gpu-agent/lora/lora-file.ts';
import { initLoraWeights } from '../../../gpu-agent/lora/lora-weights.ts';
import { parseSafetensors } from '../../../gpu-agent/lora/parse-safetensors.ts';
import { float32Tensor, tensorToFloat32, type SafetensorsTensor } from '../../../gpu-agent/lora/safetensors-format.ts';
import { serializeSafetensors } from '../../../gpu-agent/lora/serialize-safetensors.ts';
import { withRandomUp } from '../../../gpu-agent/lora/testing/lora-test-support.ts';
import { torchStyleUnetFragment } from '../../../gpu-agent/lora/testing/torch-style-unet-fragment.ts';
import type { OnnxGraph } from '../../../gpu-agent/onnx/ir.ts';
import { readModel } from '../../../gpu-agent/onnx/read-model.ts';
import { float32ToFloat16Bits } from '../../../gpu-agent/pipeline/host-tensors.ts';
import { ensureTinyModel } from '../../../gpu-agent/tiny-model/index.ts';
import { expectedLoraLayout, type ExpectedLoraLayout } from './expected-lora-layout.ts';
import { validateLoraResult } from './validate-lora-result.ts';

const RANK = 4;
const INFO = { token: 'zxq', classWord: 'glyph', baseModelHash: 'ab'.repeat(32), steps: 100, finalLoss: 0.08, seed: 1 };
/** A layer every LoRA of a Stable Diffusion UNet adapts; its sizes come from the tiny model's config. */
const KEY = 'lora_unet_mid_block_attentions_0_transformer_blocks_0_attn1_to_q';

let dir = '';
let unet: OnnxGraph;
let target: LoraTarget;
let layout: ExpectedLoraLayout;
/** A LoRA as training writes it: the trainer's start on the tiny model's UNet, `up` filled as if trained, serialized by `serializeLoraFile`. */
let file: Uint8Array;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teambooth-result-validation-'));
  // Random weights: the layout depends on the graph's structure only, not on the committed weights.
  const model = await ensureTinyModel(join(dir, 'models'), { weights: 'random' });
  unet = (await readModel(join(model, 'unet', 'model.onnx'))).graph;
  layout = expectedLoraLayout(unet, { rank: RANK });
  target = findLoraTargets(unet).find((t) => t.key === KEY)!;
  file = loraFile(unet, RANK);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function loraFile(graph: OnnxGraph, rank: number, modules?: readonly string[]): Uint8Array {
  const targets = findLoraTargets(graph, modules === undefined ? {} : { modules });
  return serializeLoraFile(withRandomUp(initLoraWeights(targets, { rank, seed: 1 }), 5, 0.05), INFO);
}

/** The file re-serialized after `edit` changed its tensors (a well-formed file with other content). */
function withTensors(edit: (tensors: Map<string, SafetensorsTensor>) => void): Uint8Array {
  const { tensors, metadata } = parseSafetensors(file);
  const copy = new Map(tensors);
  edit(copy);
  return serializeSafetensors(copy, metadata);
}

/** `name`'s values after `edit`, as an F32 tensor of the same shape. */
function editValues(tensors: Map<string, SafetensorsTensor>, name: string, edit: (values: Float32Array) => void): void {
  const tensor = tensors.get(name)!;
  const values = tensorToFloat32(tensor);
  edit(values);
  tensors.set(name, float32Tensor(values, tensor.shape));
}

/** The file with its JSON header rewritten by `edit` and the data bytes unchanged (a file whose header lies). */
function withHeader(edit: (header: Record<string, { data_offsets: [number, number] }>) => void): Uint8Array {
  const length = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + length))) as Record<string, { data_offsets: [number, number] }>;
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  return withHeaderLength(Buffer.concat([new Uint8Array(8), json, file.subarray(8 + length)]), json.byteLength);
}

function withHeaderLength(bytes: Uint8Array, length: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  new DataView(copy.buffer).setBigUint64(0, BigInt(length), true);
  return copy;
}

function reasonOf(bytes: Uint8Array, expected = layout, limits = {}): string | undefined {
  const result = validateLoraResult(bytes, expected, limits);
  return result.ok ? undefined : result.reason;
}

describe('expectedLoraLayout', () => {
  it('lists down, up and alpha of every layer training adapts, as serializeLoraFile names and shapes them', () => {
    expect(layout.tensors).toHaveLength(findLoraTargets(unet).length * 3);
    expect(layout.tensors.filter((t) => t.name.startsWith(`${KEY}.`))).toEqual([
      { name: `${KEY}.lora_down.weight`, shape: [RANK, target.inFeatures], role: 'down' },
      { name: `${KEY}.lora_up.weight`, shape: [target.outFeatures, RANK], role: 'up' },
      { name: `${KEY}.alpha`, shape: [], role: 'alpha' },
    ]);
    expect(layout.dtypes).toEqual(['F32']);
    // A torch-exported UNet (in-out weights, names from node paths) goes through the same code.
    const fragment = torchStyleUnetFragment();
    expect(validateLoraResult(loraFile(fragment, 2), expectedLoraLayout(fragment, { rank: 2 }))).toEqual({ ok: true });
  });

  it('refuses a rank that is not a positive integer', () => {
    expect(() => expectedLoraLayout(unet, { rank: 0 })).toThrow(RangeError);
  });
});

describe('validateLoraResult', () => {
  it('accepts a LoRA the project wrote for this model and rank', () => {
    expect(validateLoraResult(file, layout)).toEqual({ ok: true });
  });

  it('accepts F16 tensors only when the layout allows them', () => {
    const half = withTensors((tensors) => {
      for (const [name, tensor] of tensors) {
        tensors.set(name, { dtype: 'F16', shape: tensor.shape, bytes: new Uint8Array(float32ToFloat16Bits(tensorToFloat32(tensor)).buffer) });
      }
    });
    expect(reasonOf(half)).toMatch(/^the LoRA has tensor \S+ of dtype F16, expected F32$/);
    expect(validateLoraResult(half, expectedLoraLayout(unet, { rank: RANK, allowFloat16: true }))).toEqual({ ok: true });
  });

  it('refuses a header length over the limit or past the end of the file, and a header that is not a JSON object', () => {
    expect(reasonOf(withHeaderLength(file, 2 ** 40))).toBe('the LoRA is not a valid safetensors file: the header claims 1099511627776 bytes, more than the limit of 1048576');
    expect(reasonOf(withHeaderLength(file, 1_000_000))).toBe(`the LoRA is not a valid safetensors file: the header claims 1000000 bytes but the file has only ${file.length - 8} after the length`);
    const notJson = withHeaderLength(Buffer.concat([new Uint8Array(8), Buffer.from('{"a": [1, ')]), 10);
    expect(reasonOf(notJson)).toMatch(/^the LoRA is not a valid safetensors file: the header is not valid JSON: /);
  });

  it('refuses a file over the byte limit before parsing it', () => {
    expect(reasonOf(file, layout, { maxFileBytes: 1000 })).toBe(`the LoRA is not a valid safetensors file: the file has ${file.length} bytes, more than the limit of 1000`);
  });

  it('names missing and unexpected tensors, the first few of each', () => {
    expect(reasonOf(withTensors((t) => t.delete(`${KEY}.lora_up.weight`)))).toBe(`the LoRA's tensors do not match the base model's layers: 1 missing (${KEY}.lora_up.weight)`);
    const extra = withTensors((t) => t.set('lora_unet_conv_in.alpha', float32Tensor(Float32Array.of(4), [])));
    expect(reasonOf(extra)).toBe("the LoRA's tensors do not match the base model's layers: 1 unexpected (lora_unet_conv_in.alpha)");
    // A LoRA that adapts only to_q and to_out.0 lacks the three tensors of every to_k and to_v.
    const missing = (findLoraTargets(unet).length / 2) * 3;
    expect(reasonOf(loraFile(unet, RANK, ['to_q', 'to_out.0']))).toMatch(new RegExp(`^the LoRA's tensors do not match the base model's layers: ${missing} missing \\(\\S+to_k\\.lora_down\\.weight, \\S+, \\S+, \\.\\.\\.\\)$`));
  });

  it('refuses a LoRA of another rank or with a tensor of another shape or dtype', () => {
    const first = layout.tensors[0]!;
    expect(reasonOf(loraFile(unet, 8))).toBe(`the LoRA has tensor ${first.name} of shape [8, ${first.shape[1]}], expected [4, ${first.shape[1]}]`);
    const out = target.outFeatures;
    const wide = withTensors((t) => t.set(`${KEY}.lora_up.weight`, float32Tensor(new Float32Array(2 * out * RANK), [2 * out, RANK])));
    expect(reasonOf(wide)).toBe(`the LoRA has tensor ${KEY}.lora_up.weight of shape [${2 * out}, 4], expected [${out}, 4]`);
    const double = withTensors((t) => t.set(`${KEY}.alpha`, { dtype: 'F64', shape: [], bytes: new Uint8Array(Float64Array.of(4).buffer) }));
    expect(reasonOf(double)).toBe(`the LoRA has tensor ${KEY}.alpha of dtype F64, expected F32`);
  });

  it('refuses NaN and infinite values, naming the tensor and index', () => {
    const nan = withTensors((t) => editValues(t, `${KEY}.lora_up.weight`, (v) => (v[5] = NaN)));
    expect(reasonOf(nan)).toBe(`the LoRA's tensor ${KEY}.lora_up.weight holds NaN at index 5, so training diverged`);
    const inf = withTensors((t) => editValues(t, `${KEY}.lora_down.weight`, (v) => (v[0] = -Infinity)));
    expect(reasonOf(inf)).toBe(`the LoRA's tensor ${KEY}.lora_down.weight holds -Infinity at index 0, so training diverged`);
  });

  it('refuses a tensor whose Frobenius norm exceeds the bound, and an alpha that is not positive', () => {
    // n equal entries of 1600 / sqrt(n): norm 1600.
    const huge = withTensors((t) => editValues(t, `${KEY}.lora_up.weight`, (v) => v.fill(1600 / Math.sqrt(v.length))));
    expect(reasonOf(huge)).toBe(`the LoRA's tensor ${KEY}.lora_up.weight has Frobenius norm 1600, above the bound of 1000`);
    expect(reasonOf(huge, layout, { maxTensorNorm: 2000 })).toBeUndefined();
    const zero = withTensors((t) => editValues(t, `${KEY}.alpha`, (v) => (v[0] = 0)));
    expect(reasonOf(zero)).toBe(`the LoRA's ${KEY}.alpha is 0, but alpha must be positive`);
  });

  it('refuses overlapping offsets, offsets that do not match the shape, and truncated or padded data', () => {
    const overlapping = withHeader((header) => {
      header[`${KEY}.lora_up.weight`]!.data_offsets = [...header[`${KEY}.lora_down.weight`]!.data_offsets];
    });
    expect(reasonOf(overlapping)).toMatch(/^the LoRA is not a valid safetensors file: tensor "\S+" \[\d+, \d+\) overlaps tensor "\S+" \[\d+, \d+\)$/);
    const short = withHeader((header) => {
      const offsets = header[`${KEY}.alpha`]!.data_offsets;
      offsets[1] = offsets[0];
    });
    expect(reasonOf(short)).toMatch(new RegExp(`^the LoRA is not a valid safetensors file: tensor "${KEY}\\.alpha": F32 \\[\\] needs 4 bytes but data_offsets \\[\\d+, \\d+\\] span 0$`));
    expect(reasonOf(file.subarray(0, file.length - 10))).toMatch(/^the LoRA is not a valid safetensors file: the header's offsets cover \d+ data bytes but the file has \d+ after the header \(truncated file\?\)$/);
    expect(reasonOf(Buffer.concat([file, new Uint8Array(4)]))).toMatch(/\(trailing bytes\)$/);
  });
});
