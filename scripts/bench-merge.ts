/**
 * `npm run bench:merge [-- --params N --rank R]`: merges a rank-R LoRA (default 4) on the
 * attention and feed-forward projections of a synthetic Stable Diffusion 1.5 UNet (about 860 M
 * float32 parameters in SD 1.5's tensor shapes; `--params` scales the widths for a quick run)
 * into a model version stored in an embedded S3, and prints the merge time including S3 reads and
 * writes of the changed tensors, its throughput, and as the baseline the memory bandwidth measured
 * in the same run (a `Float32Array.set` copy and an axpy pass over 1 GiB), with the ratio. It
 * also measures how long the event loop stalls during the merge (what a Raft node doing the merge
 * would see), against the default election timeout: a stall near it could cost an election.
 * Storing the base model happens first and is not timed. S3 runs in this process, so its request
 * handling competes with the merge for the same cores: the figures are pessimistic.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { defaultConfig } from '../config/schema.ts';
import { serializeLoraFile } from '../gpu-agent/lora/lora-file.ts';
import { ContentStore } from '../cluster/blob-store/content-store.ts';
import type { ModelManifest } from '../cluster/blob-store/model-manifest.ts';
import { silentLogger, startTestS3 } from '../cluster/blob-store/test-s3-fixture.ts';
import { LoraDeltaWorker } from '../cluster/models/lora-delta-worker.ts';
import { mapConcurrent } from '../cluster/models/map-concurrent.ts';
import { mergeLoraIntoManifest } from '../cluster/models/merge-lora-into-manifest.ts';
import { fillDeterministic, syntheticLinearIndex, syntheticWeightName, type SyntheticLinear } from '../cluster/models/testing/synthetic-linear-model.ts';

const { values } = parseArgs({ options: { params: { type: 'string', default: '860000000' }, rank: { type: 'string', default: '4' } } });
const RANK = Number(values.rank);
const GiB = 2 ** 30;

interface Tensor {
  name: string;
  shape: number[];
}

/** SD 1.5's UNet tensors (convs, norms, time embedding, resnets, transformers) at a width factor. */
function sd15Unet(factor: number): { tensors: Tensor[]; linear: SyntheticLinear[] } {
  const w = (c: number) => Math.max(8, Math.round((c * factor) / 8) * 8);
  const text = w(768);
  const tensors: Tensor[] = [];
  const linear: SyntheticLinear[] = [];
  const add = (name: string, ...shape: number[]) => void tensors.push({ name, shape });
  const lin = (path: string, inFeatures: number, outFeatures: number, bias: boolean) => {
    tensors.push({ name: syntheticWeightName(linear.length), shape: [inFeatures, outFeatures] });
    linear.push({ modulePath: path, inFeatures, outFeatures });
    if (bias) add(`${path}.bias`, outFeatures);
  };
  const temb = w(1280);
  const resnet = (path: string, cin: number, cout: number) => {
    add(`${path}.norm1.weight`, cin), add(`${path}.norm1.bias`, cin), add(`${path}.conv1.weight`, cout, cin, 3, 3), add(`${path}.conv1.bias`, cout);
    add(`${path}.time_emb_proj.weight`, cout, temb), add(`${path}.time_emb_proj.bias`, cout);
    add(`${path}.norm2.weight`, cout), add(`${path}.norm2.bias`, cout), add(`${path}.conv2.weight`, cout, cout, 3, 3), add(`${path}.conv2.bias`, cout);
    if (cin !== cout) add(`${path}.conv_shortcut.weight`, cout, cin, 1, 1), add(`${path}.conv_shortcut.bias`, cout);
  };
  const transformer = (path: string, c: number) => {
    add(`${path}.norm.weight`, c), add(`${path}.norm.bias`, c), add(`${path}.proj_in.weight`, c, c, 1, 1), add(`${path}.proj_in.bias`, c);
    const block = `${path}.transformer_blocks.0`;
    for (const attn of ['attn1', 'attn2']) {
      const kv = attn === 'attn1' ? c : text;
      lin(`${block}.${attn}.to_q`, c, c, false), lin(`${block}.${attn}.to_k`, kv, c, false), lin(`${block}.${attn}.to_v`, kv, c, false), lin(`${block}.${attn}.to_out.0`, c, c, true);
    }
    for (const n of [1, 2, 3]) add(`${block}.norm${n}.weight`, c), add(`${block}.norm${n}.bias`, c);
    lin(`${block}.ff.net.0.proj`, c, 8 * c, true), lin(`${block}.ff.net.2`, 4 * c, c, true);
    add(`${path}.proj_out.weight`, c, c, 1, 1), add(`${path}.proj_out.bias`, c);
  };
  const ch = [320, 640, 1280, 1280].map(w);
  add('conv_in.weight', ch[0]!, 4, 3, 3), add('conv_in.bias', ch[0]!);
  add('time_embedding.linear_1.weight', temb, ch[0]!), add('time_embedding.linear_1.bias', temb), add('time_embedding.linear_2.weight', temb, temb), add('time_embedding.linear_2.bias', temb);
  const skips = [ch[0]!];
  ch.forEach((c, b) => {
    for (let i = 0; i < 2; i++) {
      resnet(`down_blocks.${b}.resnets.${i}`, i === 0 ? (ch[b - 1] ?? ch[0]!) : c, c);
      if (b < 3) transformer(`down_blocks.${b}.attentions.${i}`, c);
      skips.push(c);
    }
    if (b < 3) add(`down_blocks.${b}.downsamplers.0.conv.weight`, c, c, 3, 3), add(`down_blocks.${b}.downsamplers.0.conv.bias`, c), skips.push(c);
  });
  resnet('mid_block.resnets.0', ch[3]!, ch[3]!), transformer('mid_block.attentions.0', ch[3]!), resnet('mid_block.resnets.1', ch[3]!, ch[3]!);
  const up = [...ch].reverse();
  up.forEach((c, b) => {
    for (let i = 0; i < 3; i++) {
      resnet(`up_blocks.${b}.resnets.${i}`, (i === 0 ? (up[b - 1] ?? c) : c) + skips.pop()!, c);
      if (b > 0) transformer(`up_blocks.${b}.attentions.${i}`, c);
    }
    if (b < 3) add(`up_blocks.${b}.upsamplers.0.conv.weight`, c, c, 3, 3), add(`up_blocks.${b}.upsamplers.0.conv.bias`, c);
  });
  add('conv_norm_out.weight', ch[0]!), add('conv_norm_out.bias', ch[0]!), add('conv_out.weight', 4, ch[0]!, 3, 3), add('conv_out.bias', 4);
  return { tensors, linear };
}

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const total = (f: number) => sd15Unet(f).tensors.reduce((sum, t) => sum + count(t.shape), 0);
// Parameters grow with the square of the width: solve for the factor, then refine once.
const guess = Math.sqrt(Number(values.params) / total(1));
const { tensors, linear } = sd15Unet(guess * Math.sqrt(Number(values.params) / total(guess)));
const parameters = tensors.reduce((sum, t) => sum + count(t.shape), 0);

function bandwidth(): { copyGBs: number; axpyGBs: number } {
  const n = GiB / 4;
  const x = fillDeterministic(new Float32Array(n), 1);
  const y = new Float32Array(n);
  y.set(x); // first touch of y's pages is not memory bandwidth
  let started = performance.now();
  y.set(x);
  const copyGBs = (2 * GiB) / 1e9 / ((performance.now() - started) / 1000);
  started = performance.now();
  for (let i = 0; i < n; i++) y[i] = y[i]! + 0.5 * x[i]!;
  const axpyGBs = (3 * GiB) / 1e9 / ((performance.now() - started) / 1000);
  return { copyGBs, axpyGBs };
}

const logger = silentLogger();
const s3 = await startTestS3({ retry: { initialDelayMs: 10, maxDelayMs: 500, deadlineMs: 120_000 } });
const store = new ContentStore({ blobs: s3.store, logger });
const worker = new LoraDeltaWorker();
try {
  console.log(`synthetic SD 1.5 UNet: ${tensors.length} tensors, ${(parameters / 1e6).toFixed(0)} M float32 parameters (${((parameters * 4) / 1e9).toFixed(2)} GB)`);
  let started = performance.now();
  const entries: ModelManifest['tensors'] = {};
  await mapConcurrent(tensors, 4, async (tensor, i) => {
    const bytes = new Uint8Array(fillDeterministic(new Float32Array(count(tensor.shape)), i).buffer);
    entries[`unet/${tensor.name}`] = { sha256: await store.putIfAbsent(bytes), shape: tensor.shape, dtype: 'F32' };
  });
  const index = syntheticLinearIndex(linear);
  entries['graphs/unet/model.onnx.linear-layers.json'] = { sha256: await store.putIfAbsent(index), shape: [index.byteLength], dtype: 'U8' };
  entries['graphs/unet/model.onnx'] = { sha256: await store.putIfAbsent(new Uint8Array(1)), shape: [1], dtype: 'U8' };
  const base: ModelManifest = { format: 1, version: 'v1', parent: null, subjects: [], mergeMethod: 'none', createdAt: new Date().toISOString(), tensors: entries };
  console.log(`stored the base in the embedded S3 in ${((performance.now() - started) / 1000).toFixed(1)} s (not timed)`);
  const lora = serializeLoraFile({
    layers: linear.map((layer, i) => ({
      key: `lora_unet_${layer.modulePath.replaceAll('.', '_')}`,
      rank: RANK,
      alpha: RANK,
      inFeatures: layer.inFeatures,
      outFeatures: layer.outFeatures,
      down: fillDeterministic(new Float32Array(RANK * layer.inFeatures), 10_000 + i, 0.1),
      up: fillDeterministic(new Float32Array(layer.outFeatures * RANK), 20_000 + i, 0.01),
    })),
  });
  const stalls = monitorEventLoopDelay({ resolution: 10 });
  stalls.enable();
  started = performance.now();
  const merged = await mergeLoraIntoManifest(base, lora, {
    scale: 1,
    version: 'v2',
    createdAt: new Date().toISOString(),
    subjects: ['zxq'],
    mergeMethod: 'sum',
    fetchTensor: (hash, signal) => store.get(hash, signal === undefined ? {} : { signal }),
    sink: store,
    worker,
  });
  const seconds = (performance.now() - started) / 1000;
  stalls.disable();
  const raft = defaultConfig().node.raft;
  const electionMs = raft.electionTicks * raft.tickMs;
  const moved = 2 * merged.changedBytes;
  const mergeGBs = moved / 1e9 / seconds;
  const { copyGBs, axpyGBs } = bandwidth();
  console.log(`merge: ${merged.changed.length} LoRA layers of rank ${RANK}, ${(merged.changedBytes / 1e9).toFixed(2)} GB of tensors changed (read and written through S3)`);
  console.log(`  time ${seconds.toFixed(2)} s, ${mergeGBs.toFixed(2)} GB/s (bytes read + written)`);
  console.log(`baseline memory bandwidth: Float32Array.set copy ${copyGBs.toFixed(2)} GB/s, axpy ${axpyGBs.toFixed(2)} GB/s`);
  console.log(`ratio merge / copy bandwidth: ${(mergeGBs / copyGBs).toFixed(3)}`);
  console.log(
    `event loop during the merge: longest stall ${(stalls.max / 1e6).toFixed(1)} ms, p99 ${(stalls.percentile(99) / 1e6).toFixed(1)} ms ` +
      `(Raft election timeout ${electionMs} ms, heartbeat every ${raft.heartbeatTicks * raft.tickMs} ms; ratio longest stall / election timeout ${(stalls.max / 1e6 / electionMs).toFixed(3)})`,
  );
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 2 ** 20).toFixed(2)} GiB`);
} finally {
  await worker.close();
  await s3.close();
}
