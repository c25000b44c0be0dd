import type { LoraLayer, LoraWeights } from './lora-weights.ts';
import { parseSafetensors, type SafetensorsLimits } from './parse-safetensors.ts';
import { float32Tensor, SafetensorsError, tensorToFloat32, type SafetensorsTensor } from './safetensors-format.ts';
import { serializeSafetensors } from './serialize-safetensors.ts';

/** What teambooth records about how a LoRA was made (saved as `teambooth_*` metadata). */
export interface TeamboothLoraInfo {
  /** The subject's rare token, e.g. `zxq`. */
  token: string;
  /** The class word, e.g. `dog`. */
  classWord: string;
  /** sha256 (hex) of the base model version the LoRA was trained on. */
  baseModelHash: string;
  steps: number;
  finalLoss: number;
  seed: number;
  learningRate?: number;
  /** Subject photos per optimizer step. */
  batchSize?: number;
  /** How the cluster should merge it (`orthogonal`: only `up` was trained against a fixed `down`). */
  mergeMethod?: 'sum' | 'orthogonal';
}

/** What {@link parseLoraFile} returns. */
export interface ParsedLoraFile {
  readonly lora: LoraWeights;
  /** Every metadata entry of the file. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The `teambooth_*` entries, when the file has them all. */
  readonly info?: TeamboothLoraInfo;
}

/** The suffixes of kohya LoRA tensors. */
const SUFFIX = { down: '.lora_down.weight', up: '.lora_up.weight', alpha: '.alpha' } as const;

const INFO_KEYS = {
  token: 'teambooth_token',
  classWord: 'teambooth_class',
  baseModelHash: 'teambooth_base_model_sha256',
  steps: 'teambooth_steps',
  finalLoss: 'teambooth_final_loss',
  seed: 'teambooth_seed',
  learningRate: 'teambooth_learning_rate',
  batchSize: 'teambooth_batch_size',
  mergeMethod: 'teambooth_merge_method',
} as const;

/**
 * Serializes a LoRA as kohya-style safetensors, which other Stable Diffusion tools load:
 * `<key>.lora_down.weight` `[rank, in]`, `<key>.lora_up.weight` `[out, rank]` and `<key>.alpha`
 * (a float32 scalar) per layer, with `ss_network_module`, `ss_network_dim` and `ss_network_alpha`
 * metadata, plus `teambooth_*` entries from `info` and any `extra` metadata.
 */
export function serializeLoraFile(lora: LoraWeights, info?: TeamboothLoraInfo, extra: Readonly<Record<string, string>> = {}): Uint8Array {
  if (lora.layers.length === 0) throw new Error('a LoRA needs at least one layer');
  const tensors = new Map<string, SafetensorsTensor>();
  for (const layer of lora.layers) {
    tensors.set(`${layer.key}${SUFFIX.down}`, float32Tensor(layer.down, [layer.rank, layer.inFeatures]));
    tensors.set(`${layer.key}${SUFFIX.up}`, float32Tensor(layer.up, [layer.outFeatures, layer.rank]));
    tensors.set(`${layer.key}${SUFFIX.alpha}`, float32Tensor(Float32Array.of(layer.alpha), []));
  }
  const first = lora.layers[0]!;
  const metadata: Record<string, string> = {
    ...extra,
    ss_network_module: 'networks.lora',
    ss_network_dim: String(Math.max(...lora.layers.map((l) => l.rank))),
    ss_network_alpha: String(first.alpha),
  };
  if (info !== undefined) {
    for (const [field, key] of Object.entries(INFO_KEYS)) {
      const value = info[field as keyof TeamboothLoraInfo];
      if (value !== undefined) metadata[key] = String(value);
    }
  }
  return serializeSafetensors(tensors, metadata);
}

/**
 * Parses a kohya-style LoRA file with the safetensors reader's checks, then checks the LoRA
 * itself: only `lora_down`/`lora_up`/`alpha` tensors, 2-D float projections whose ranks agree, a
 * positive finite alpha (default: the rank, as kohya assumes), finite values. Errors name the key.
 */
export function parseLoraFile(bytes: Uint8Array, limits: SafetensorsLimits = {}): ParsedLoraFile {
  const { tensors, metadata } = parseSafetensors(bytes, limits);
  const parts = new Map<string, { down?: SafetensorsTensor; up?: SafetensorsTensor; alpha?: SafetensorsTensor }>();
  for (const [name, tensor] of tensors) {
    const kind = (Object.keys(SUFFIX) as (keyof typeof SUFFIX)[]).find((k) => name.endsWith(SUFFIX[k]) && name.length > SUFFIX[k].length);
    if (kind === undefined) throw new SafetensorsError(`unexpected tensor "${name}": a LoRA file holds only <key>.lora_down.weight, <key>.lora_up.weight and <key>.alpha`);
    const key = name.slice(0, -SUFFIX[kind].length);
    const entry = parts.get(key) ?? {};
    entry[kind] = tensor;
    parts.set(key, entry);
  }
  if (parts.size === 0) throw new SafetensorsError('the file holds no LoRA layers');
  const layers = [...parts.entries()].map(([key, part]) => toLayer(key, part));
  const info = parseInfo(metadata);
  return { lora: { layers }, metadata, ...(info === undefined ? {} : { info }) };
}

function toLayer(key: string, part: { down?: SafetensorsTensor; up?: SafetensorsTensor; alpha?: SafetensorsTensor }): LoraLayer {
  if (part.down === undefined || part.up === undefined) throw new SafetensorsError(`LoRA layer ${key} lacks its ${part.down === undefined ? 'lora_down' : 'lora_up'}.weight`);
  if (part.down.shape.length !== 2 || part.up.shape.length !== 2) {
    throw new SafetensorsError(`LoRA layer ${key}: lora_down [${part.down.shape.join(', ')}] and lora_up [${part.up.shape.join(', ')}] must be 2-D (only linear layers are supported)`);
  }
  const [rank, inFeatures] = part.down.shape as [number, number];
  const [outFeatures, upRank] = part.up.shape as [number, number];
  if (rank !== upRank || rank < 1) throw new SafetensorsError(`LoRA layer ${key}: lora_down has rank ${rank} but lora_up has rank ${upRank}`);
  const down = finite(tensorToFloat32(part.down, `${key}${SUFFIX.down}`), `${key}${SUFFIX.down}`);
  const up = finite(tensorToFloat32(part.up, `${key}${SUFFIX.up}`), `${key}${SUFFIX.up}`);
  let alpha = rank;
  if (part.alpha !== undefined) {
    const values = tensorToFloat32(part.alpha, `${key}${SUFFIX.alpha}`);
    if (values.length !== 1) throw new SafetensorsError(`${key}${SUFFIX.alpha} must hold one value, has ${values.length}`);
    alpha = values[0]!;
    if (!(alpha > 0) || !Number.isFinite(alpha)) throw new SafetensorsError(`${key}${SUFFIX.alpha} must be positive and finite, is ${alpha}`);
  }
  return { key, rank, alpha, inFeatures, outFeatures, down, up };
}

function finite(values: Float32Array, name: string): Float32Array {
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new SafetensorsError(`${name} holds a non-finite value (${values[bad]} at index ${bad})`);
  return values;
}

function parseInfo(metadata: Readonly<Record<string, string>>): TeamboothLoraInfo | undefined {
  const get = (key: string): string | undefined => (Object.hasOwn(metadata, key) ? metadata[key] : undefined);
  const token = get(INFO_KEYS.token);
  const classWord = get(INFO_KEYS.classWord);
  const baseModelHash = get(INFO_KEYS.baseModelHash);
  const steps = Number(get(INFO_KEYS.steps));
  const finalLoss = Number(get(INFO_KEYS.finalLoss));
  const seed = Number(get(INFO_KEYS.seed));
  if (token === undefined || classWord === undefined || baseModelHash === undefined || !Number.isFinite(steps) || !Number.isFinite(finalLoss) || !Number.isFinite(seed)) return undefined;
  const learningRate = Number(get(INFO_KEYS.learningRate));
  const batchSize = Number(get(INFO_KEYS.batchSize));
  const mergeMethod = get(INFO_KEYS.mergeMethod);
  return {
    token,
    classWord,
    baseModelHash,
    steps,
    finalLoss,
    seed,
    ...(Number.isFinite(learningRate) && get(INFO_KEYS.learningRate) !== undefined ? { learningRate } : {}),
    ...(Number.isInteger(batchSize) && batchSize > 0 ? { batchSize } : {}),
    ...(mergeMethod === 'sum' || mergeMethod === 'orthogonal' ? { mergeMethod } : {}),
  };
}
