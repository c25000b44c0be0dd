import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferGraph } from '../onnx/infer-graph.ts';
import { readModel } from '../onnx/read-model.ts';
import { createSession, type HostTensor, type OnnxSession } from '../onnx/runtime.ts';
import { ensureTinyModel, tinyModelId } from './ensure-tiny-model.ts';
import { seededRandom } from './seeded-random.ts';
import { defaultTinyModelConfig, validateTinyModelConfig, type TinyModelConfig } from './tiny-model-config.ts';
import { readCommittedWeights } from './trained-weights.ts';
import { writeTinyModel, type TinyModelSummary } from './write-tiny-model.ts';
import { readTrainDefaults } from '../training/train-defaults.ts';
import { TINY_TRAIN_DEFAULTS } from './write-tiny-model.ts';

const logger = pino({ level: 'silent' });

async function filesOf(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

async function open(dir: string, component: string): Promise<OnnxSession> {
  return createSession(join(dir, component, 'model.onnx'), { device: 'cpu', logger, intraOpThreads: 1 });
}

function normal(dims: number[], seed: number): HostTensor {
  const random = seededRandom(seed, 'tiny-model-test');
  return { dtype: 'float32', dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => random.normal()) };
}

function stats(tensor: HostTensor): { finite: boolean; std: number; maxAbs: number } {
  const values = Array.from(tensor.data as Float32Array);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return {
    finite: values.every(Number.isFinite),
    std: Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length),
    maxAbs: Math.max(...values.map(Math.abs)),
  };
}

/** Runs every component once; returns the outputs. */
async function forward(dir: string, summary: TinyModelSummary, batch: number): Promise<Record<string, HostTensor>> {
  const { config } = summary;
  const tokens = config.text.maxTokens;
  const size = config.imageSize / 2 ** (config.vae.blockOutChannels.length - 1);
  const eos = summary.vocabularySize - 1;
  const ids = Int32Array.from({ length: batch * tokens }, (_, i) => (i % tokens === 0 ? eos - 1 : i % tokens <= 1 + (i % 3) ? 300 + (i % 50) : eos));
  const sessions = await Promise.all(['text_encoder', 'unet', 'vae_decoder', 'vae_encoder'].map((c) => open(dir, c)));
  const [text, unet, decoder, encoder] = sessions as [OnnxSession, OnnxSession, OnnxSession, OnnxSession];
  try {
    const encoded = await text.run({ input_ids: { dtype: 'int32', dims: [batch, tokens], data: ids } });
    const noise = await unet.run({
      sample: normal([batch, config.latentChannels, size, size], 1),
      timestep: { dtype: 'int64', dims: [batch], data: BigInt64Array.from({ length: batch }, (_, i) => BigInt(999 - 500 * i)) },
      encoder_hidden_states: encoded.last_hidden_state!,
    });
    const image = await decoder.run({ latent_sample: normal([batch, config.latentChannels, size, size], 2) });
    const latent = await encoder.run({ sample: normal([batch, 3, config.imageSize, config.imageSize], 3) });
    return { ids: { dtype: 'int32', dims: [batch, tokens], data: ids }, ...encoded, ...noise, ...image, ...latent };
  } finally {
    await Promise.all(sessions.map((s) => s.release()));
  }
}

describe('teambooth-tiny', () => {
  let root: string;
  let dir: string;
  let summary: TinyModelSummary;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'teambooth-tiny-'));
    dir = join(root, 'default');
    summary = await writeTinyModel(dir);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('is written in the diffusers/Optimum ONNX layout with SD 1.5 style configs', async () => {
    expect(await filesOf(dir)).toEqual([
      'model_index.json', 'scheduler/scheduler_config.json', 'teambooth-tiny.json', 'teambooth.json', 'text_encoder/config.json', 'text_encoder/model.onnx',
      'tokenizer/merges.txt', 'tokenizer/special_tokens_map.json', 'tokenizer/tokenizer_config.json', 'tokenizer/vocab.json',
      'unet/config.json', 'unet/model.onnx', 'unet/model.onnx_data', 'vae_decoder/config.json', 'vae_decoder/model.onnx',
      'vae_encoder/config.json', 'vae_encoder/model.onnx',
    ]);
    const json = async (file: string): Promise<Record<string, unknown>> => JSON.parse(await readFile(join(dir, file), 'utf8')) as Record<string, unknown>;
    // Its own fine-tune defaults, which `teambooth train` and agents read.
    expect(await readTrainDefaults(dir)).toEqual(TINY_TRAIN_DEFAULTS);
    expect(await json('model_index.json')).toMatchObject({ _class_name: 'OnnxStableDiffusionPipeline', unet: ['diffusers', 'OnnxRuntimeModel'], tokenizer: ['transformers', 'CLIPTokenizer'] });
    expect(await json('scheduler/scheduler_config.json')).toMatchObject({
      _class_name: 'DDIMScheduler', beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', num_train_timesteps: 1000, steps_offset: 1, prediction_type: 'epsilon',
    });
    expect(await json('unet/config.json')).toMatchObject({ sample_size: 8, in_channels: 4, cross_attention_dim: 64, block_out_channels: [32, 64] });
    expect(await json('vae_decoder/config.json')).toMatchObject({ scaling_factor: (await readCommittedWeights())?.weights.scalingFactor ?? 0.18215, latent_channels: 4, sample_size: 64, block_out_channels: [16, 32, 32, 32] });
    const vocab = await json('tokenizer/vocab.json');
    expect(Object.keys(vocab)).toHaveLength(summary.vocabularySize);
    expect(vocab['<|endoftext|>']).toBeTypeOf('number');
    expect((await stat(join(dir, 'unet/model.onnx_data'))).size).toBeGreaterThan((await stat(join(dir, 'unet/model.onnx'))).size);
  });

  it('has the tensor names, dtypes and shapes of an SD 1.5 Optimum export', async () => {
    const io: Record<string, unknown> = {};
    for (const component of ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder']) {
      const session = await open(dir, component);
      io[component] = { inputs: session.inputs, outputs: session.outputs };
      await session.release();
    }
    expect(io).toEqual({
      text_encoder: {
        inputs: [{ name: 'input_ids', dtype: 'int32', dims: ['batch', 77] }],
        outputs: [{ name: 'last_hidden_state', dtype: 'float32', dims: ['batch', 77, 64] }, { name: 'pooler_output', dtype: 'float32', dims: ['batch', 64] }],
      },
      unet: {
        inputs: [
          { name: 'sample', dtype: 'float32', dims: ['batch', 4, 8, 8] },
          { name: 'timestep', dtype: 'int64', dims: ['batch'] },
          { name: 'encoder_hidden_states', dtype: 'float32', dims: ['batch', 77, 64] },
        ],
        outputs: [{ name: 'out_sample', dtype: 'float32', dims: ['batch', 4, 8, 8] }],
      },
      vae_decoder: { inputs: [{ name: 'latent_sample', dtype: 'float32', dims: ['batch', 4, 8, 8] }], outputs: [{ name: 'sample', dtype: 'float32', dims: ['batch', 3, 64, 64] }] },
      vae_encoder: { inputs: [{ name: 'sample', dtype: 'float32', dims: ['batch', 3, 64, 64] }], outputs: [{ name: 'latent_sample', dtype: 'float32', dims: ['batch', 4, 8, 8] }] },
    });
  });

  it('has the pinned parameter counts (bump TINY_MODEL_BUILDER_VERSION when they change), matching the files', async () => {
    expect(summary.parameters).toEqual({ textEncoder: 149056, unet: 1001828, vaeEncoder: 121728, vaeDecoder: 194967, total: 1467579 });
    const unet = await readModel(join(dir, 'unet/model.onnx'));
    const weights = unet.graph.initializers.filter((t) => !t.name.startsWith('const_'));
    expect(weights.reduce((n, t) => n + t.data.length, 0)).toBe(summary.parameters.unet);
    expect(weights.map((t) => t.name)).toContain('down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight');
    expect(weights.find((t) => t.name === 'mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight')?.dims).toEqual([64, 64]);
    expect(inferGraph(unet.graph).get('out_sample')?.shape).toEqual(['batch', 4, 8, 8]);
  });

  it('computes finite outputs of order 1, and pools at the first end-of-text token', async () => {
    const out = await forward(dir, summary, 2);
    for (const name of ['last_hidden_state', 'pooler_output', 'out_sample', 'sample', 'latent_sample']) {
      const s = stats(out[name]!);
      expect(s.finite, name).toBe(true);
      expect(s.std, name).toBeGreaterThan(0.05);
      expect(s.maxAbs, name).toBeLessThan(50);
    }
    const hidden = out.last_hidden_state!.data as Float32Array;
    const pooled = out.pooler_output!.data as Float32Array;
    const ids = out.ids!.data as Int32Array;
    const eos = summary.vocabularySize - 1;
    for (let b = 0; b < 2; b++) {
      const position = Array.from(ids.subarray(b * 77, (b + 1) * 77)).indexOf(eos);
      expect(Array.from(pooled.subarray(b * 64, (b + 1) * 64))).toEqual(Array.from(hidden.subarray((b * 77 + position) * 64, (b * 77 + position + 1) * 64)));
    }
  });

  it('writes byte-identical files for the same config and seed', async () => {
    const again = join(root, 'again');
    await writeTinyModel(again);
    const digest = async (base: string): Promise<Record<string, string>> =>
      Object.fromEntries(await Promise.all((await filesOf(base)).map(async (f) => [f, createHash('sha256').update(await readFile(join(base, f))).digest('hex')] as const)));
    expect(await digest(again)).toEqual(await digest(dir));
  });

  it('builds and runs a second, differently sized config through the same builder', async () => {
    const config: TinyModelConfig = {
      seed: 9,
      imageSize: 32,
      latentChannels: 3,
      text: { width: 32, layers: 1, heads: 4, mlpRatio: 2, maxTokens: 16 },
      unet: { blockOutChannels: [16, 32, 32], crossAttention: [true, false, true], layersPerBlock: 2, heads: 4, normGroups: 4 },
      vae: { blockOutChannels: [8, 16, 16], layersPerBlock: 1, normGroups: 4 },
      scheduler: { predictionType: 'epsilon', timestepSpacing: 'leading' },
    };
    const small = join(root, 'small');
    const smallSummary = await writeTinyModel(small, config);
    expect(smallSummary.parameters.unet).toBeGreaterThan(0);
    const out = await forward(small, smallSummary, 3);
    expect(out.last_hidden_state?.dims).toEqual([3, 16, 32]);
    expect(out.out_sample?.dims).toEqual([3, 3, 8, 8]);
    expect(out.sample?.dims).toEqual([3, 3, 32, 32]);
    expect(out.latent_sample?.dims).toEqual([3, 3, 8, 8]);
    for (const name of ['pooler_output', 'out_sample', 'sample', 'latent_sample']) expect(stats(out[name]!).finite, name).toBe(true);
  });

  it('rejects configs whose sizes do not fit, naming the field', () => {
    const config = defaultTinyModelConfig();
    config.unet.normGroups = 5;
    expect(() => validateTinyModelConfig(config)).toThrow(/unet.blockOutChannels 32 must divide by unet.normGroups 5/);
    const odd = defaultTinyModelConfig();
    odd.imageSize = 60;
    expect(() => validateTinyModelConfig(odd)).toThrow(/imageSize 60 must divide by 2\^3/);
  });

  it('ensureTinyModel builds once into a hashed folder, atomically, and reuses it', async () => {
    const cache = join(root, 'cache');
    const random = { weights: 'random' } as const;
    const [first, second] = await Promise.all([ensureTinyModel(cache, random), ensureTinyModel(cache, random)]);
    expect(first).toBe(join(cache, tinyModelId()));
    expect(second).toBe(first);
    expect(await readdir(cache)).toEqual([tinyModelId()]);
    const built = (await stat(join(first, 'unet/model.onnx'))).mtimeMs;
    expect(await ensureTinyModel(cache, random)).toBe(first);
    expect((await stat(join(first, 'unet/model.onnx'))).mtimeMs).toBe(built);
    const other = defaultTinyModelConfig();
    other.seed = 2;
    expect(tinyModelId(other)).not.toBe(tinyModelId());
  });
});
