import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../tiny-model/seeded-random.ts';
import type { TinyModelConfig } from '../../tiny-model/tiny-model-config.ts';
import { buildUnetGraph } from '../../tiny-model/unet-graph.ts';
import { attr } from '../attributes.ts';
import { GraphBuilder, type Value } from '../graph-builder.ts';
import type { OnnxGraph } from '../ir.ts';
import { checkGradients, type Feed } from './testing/finite-differences.ts';
import { withMeanSquaredLoss } from './testing/mean-squared-loss.ts';
import { expectAgreement, type Tolerance } from './testing/op-check.ts';

/**
 * Whole float32 networks (Conv has no float64 CPU kernel): the loss is reduced in float64,
 * differences use step 2^-5 with Richardson extrapolation, and the entries with the largest
 * gradients are checked, where float32 rounding inside the network matters least.
 */
const NETWORK: Tolerance = { atol: 2e-6, rtol: 2e-3 };

function normal(dims: number[], seed: number, scale = 1): Feed {
  const random = seededRandom(seed, 'network-gradients');
  return { dims, data: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => random.normal() * scale) };
}

function weight(b: GraphBuilder, name: string, dims: number[], seed: number, scale: number): Value {
  return b.initializer(name, 'float32', dims, Float32Array.from(normal(dims, seed, scale).data));
}

/** conv -> GroupNorm (the tiny model's decomposition) -> SiLU -> single-head attention -> LayerNorm -> mean-square loss. */
function smallNetwork(): OnnxGraph {
  const b = new GraphBuilder('small');
  const x = b.input('x', 'float32', ['batch', 2, 4, 4]);
  const target = b.input('target', 'float64', ['batch', 16, 4]);
  const conv = b.conv(x, weight(b, 'conv.weight', [4, 2, 3, 3], 1, 0.4), weight(b, 'conv.bias', [4], 2, 0.1), { pads: [1, 1, 1, 1] });
  const grouped = b.reshape(conv, ['batch', 2, 32]);
  const centered = b.sub(grouped, b.reduceMean(grouped, [2]));
  const variance = b.reduceMean(b.mul(centered, centered), [2]);
  const normed = b.reshape(b.div(centered, b.sqrt(b.add(variance, 1e-5))), ['batch', 4, 4, 4]);
  const gn = b.add(b.mul(normed, b.reshape(weight(b, 'gn.weight', [4], 3, 0.3), [4, 1, 1])), b.reshape(weight(b, 'gn.bias', [4], 4, 0.1), [4, 1, 1]));
  const act = b.mul(gn, b.sigmoid(gn));
  const tokens = b.transpose(b.reshape(act, ['batch', 4, 16]), [0, 2, 1]);
  const project = (name: string, seed: number): Value => b.matMul(tokens, b.transpose(weight(b, name, [4, 4], seed, 0.5), [1, 0]));
  const scores = b.matMul(b.mul(project('q.weight', 5), 0.5), b.transpose(project('k.weight', 6), [0, 2, 1]));
  const attended = b.add(tokens, b.matMul(b.softmax(scores, -1), project('v.weight', 7)));
  const out = b.layerNormalization(attended, weight(b, 'ln.weight', [4], 8, 0.5), weight(b, 'ln.bias', [4], 9, 0.1));
  // The loss is reduced in float64 so its own rounding does not limit the finite differences.
  const difference = b.sub(b.cast(out, 'float64'), target);
  b.output(b.reduceMean(b.mul(difference, difference), [0, 1, 2], false), 'loss');
  return b.build();
}

/** The same blocks as a torch export writes them: GroupNorm via InstanceNormalization, Gemm, GEGLU by Split, nearest Resize. */
function exportedNetwork(): OnnxGraph {
  const b = new GraphBuilder('exported');
  const x = b.input('x', 'float32', [2, 4, 3, 3]);
  const grouped = b.reshape(x, [2, 2, 18]);
  const ones = b.constant('float32', [2], [1, 1]);
  const zeros = b.constant('float32', [2], [0, 0]);
  const instance = b.node('InstanceNormalization', [grouped, ones, zeros], { epsilon: attr.float(1e-5) })[0]!;
  const gn = b.add(b.mul(b.reshape(instance, [2, 4, 3, 3]), b.reshape(weight(b, 'gn.weight', [4], 11, 0.3), [4, 1, 1])), b.reshape(weight(b, 'gn.bias', [4], 12, 0.1), [4, 1, 1]));
  const up = b.resizeNearest(b.mul(gn, b.sigmoid(gn)), [1, 1, 2, 2]);
  const pooled = b.reshape(b.reduceMean(up, [2, 3], false), [2, 4]);
  const hidden = b.gemm(pooled, weight(b, 'proj.weight', [8, 4], 13, 0.5), weight(b, 'proj.bias', [8], 14, 0.1), { transB: true });
  const [value, gate] = b.node('Split', [hidden, b.ints([4, 4])], { axis: attr.int(1) }, 2);
  const geglu = b.mul(value!, b.mul(b.mul(gate!, 0.5), b.add(b.erf(b.mul(gate!, Math.SQRT1_2)), 1)));
  const wide = b.cast(geglu, 'float64');
  b.output(b.reduceSum(b.mul(wide, wide), [0, 1], false), 'loss');
  return b.build();
}

/** A small UNet of the tiny model: 8x8 latents, two levels, cross-attention at the second. */
function smallUnetConfig(): TinyModelConfig {
  return {
    seed: 3,
    imageSize: 16,
    latentChannels: 4,
    text: { width: 16, layers: 1, heads: 2, mlpRatio: 2, maxTokens: 5 },
    unet: { blockOutChannels: [8, 16], crossAttention: [false, true], layersPerBlock: 1, heads: 2, normGroups: 4 },
    vae: { blockOutChannels: [8, 8], layersPerBlock: 1, normGroups: 4 },
    scheduler: { predictionType: 'epsilon', timestepSpacing: 'leading' },
  };
}

describe('whole networks (float32)', () => {
  it('conv -> groupnorm -> silu -> attention -> layernorm -> mean-square loss', async () => {
    const wrt = ['conv.weight', 'conv.bias', 'gn.weight', 'q.weight', 'k.weight', 'v.weight', 'ln.weight', 'ln.bias', 'x'];
    const feeds = { x: normal([2, 2, 4, 4], 20), target: normal([2, 16, 4], 21) };
    const check = await checkGradients(smallNetwork(), { loss: 'loss', wrt, feeds, maxEntries: 6, pick: 'largest', step: 2 ** -5 });
    expectAgreement(check, NETWORK);
  });

  it('torch-export style blocks: InstanceNormalization groupnorm, Resize, Gemm, Split GEGLU', async () => {
    const wrt = ['gn.weight', 'gn.bias', 'proj.weight', 'proj.bias', 'x'];
    const check = await checkGradients(exportedNetwork(), { loss: 'loss', wrt, feeds: { x: normal([2, 4, 3, 3], 22) }, maxEntries: 6, pick: 'largest', step: 2 ** -5 });
    expectAgreement(check, NETWORK);
  });

  it('the tiny model UNet, with respect to two attention projection weights', async () => {
    const config = smallUnetConfig();
    const unet = buildUnetGraph(config).model.graph;
    const forward = withMeanSquaredLoss(unet, 'out_sample');
    const block = 'down_blocks.1.attentions.0.transformer_blocks.0';
    const wrt = [`${block}.attn1.to_q.weight`, `${block}.attn2.to_k.weight`];
    const feeds = {
      sample: normal([1, 4, 8, 8], 30),
      timestep: { dims: [1], data: [421] },
      encoder_hidden_states: normal([1, 5, 16], 31),
      target: normal([1, 4, 8, 8], 32),
    };
    const check = await checkGradients(forward, { loss: 'loss', wrt, feeds, maxEntries: 6, pick: 'largest', step: 2 ** -5 });
    expectAgreement(check, NETWORK);
    expect(check.graph.outputs.map((o) => o.name)).toEqual(['loss', ...wrt.map((w) => `${w}_grad`)]);
    expect(check.graph.nodes.every((n) => n.domain === '')).toBe(true);
    for (const name of wrt) expect(check.gradients[name]!.some((v) => v !== 0)).toBe(true);
  });
});
