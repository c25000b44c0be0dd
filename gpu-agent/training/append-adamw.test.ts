import { describe, expect, it } from 'vitest';
import { buildGradientGraph } from '../onnx/autodiff/index.ts';
import { GraphBuilder } from '../onnx/graph-builder.ts';
import { inferGraph } from '../onnx/infer-graph.ts';
import type { OnnxGraph } from '../onnx/ir.ts';
import type { HostTensor } from '../onnx/runtime.ts';
import { runModel } from '../onnx/testing/run-model.ts';
import { appendAdamW, defaultAdamWSettings, OPTIMIZER_IO, type AdamWSettings } from './append-adamw.ts';

/** loss = sum(p * c): the gradient of p is the input c, so the test controls it exactly. */
function toyGraph(settings: AdamWSettings): OnnxGraph {
  const b = new GraphBuilder('toy');
  const p = b.input('p', 'float32', [4]);
  const c = b.input('c', 'float32', [4]);
  b.output(b.reduceSum(b.mul(p, c), [0], false), 'loss');
  const gradients = buildGradientGraph(b.build(), { loss: 'loss', wrt: ['p'] });
  return appendAdamW(gradients, [{ name: 'p', dims: [4], gradient: 'p_grad' }], settings, ['loss']).graph;
}

/** PyTorch's AdamW step (torch.optim.AdamW, amsgrad off) after clip_grad_norm_, in float64. */
function referenceStep(state: { p: number[]; m: number[]; v: number[] }, grad: number[], t: number, lr: number, s: AdamWSettings): void {
  const norm = Math.sqrt(grad.reduce((a, g) => a + g * g, 0));
  const clip = norm < s.maxGradNorm ? 1 : s.maxGradNorm / (norm + 1e-6);
  for (let i = 0; i < state.p.length; i++) {
    const g = grad[i]! * clip;
    state.p[i]! *= 1 - lr * s.weightDecay;
    state.m[i] = s.beta1 * state.m[i]! + (1 - s.beta1) * g;
    state.v[i] = s.beta2 * state.v[i]! + (1 - s.beta2) * g * g;
    const denominator = Math.sqrt(state.v[i]!) / Math.sqrt(1 - s.beta2 ** t) + s.epsilon;
    state.p[i]! -= (lr / (1 - s.beta1 ** t)) * (state.m[i]! / denominator);
  }
}

const f32 = (values: number[], dims: number[] = [values.length]): HostTensor => ({ dtype: 'float32', dims, data: Float32Array.from(values) });

async function graphStep(graph: OnnxGraph, state: { p: number[]; m: number[]; v: number[] }, grad: number[], t: number, lr: number): Promise<Record<string, HostTensor>> {
  const out = await runModel(
    { graph, opset: 17, producerName: 'test', producerVersion: '0' },
    { p: f32(state.p), c: f32(grad), 'adam_m/p': f32(state.m), 'adam_v/p': f32(state.v), [OPTIMIZER_IO.step]: f32([t], []), [OPTIMIZER_IO.learningRate]: f32([lr], []) },
  );
  state.p = Array.from(out['updated/p']!.data as Float32Array);
  state.m = Array.from(out['updated/adam_m/p']!.data as Float32Array);
  state.v = Array.from(out['updated/adam_v/p']!.data as Float32Array);
  return out;
}

describe('appendAdamW', () => {
  const settings = { ...defaultAdamWSettings(), weightDecay: 0.1, maxGradNorm: 2 };
  const graph = toyGraph(settings);

  it('is well typed and exposes the step, learning rate, moments and updated values', () => {
    expect(() => inferGraph(graph)).not.toThrow();
    expect(graph.inputs.map((i) => i.name).sort()).toEqual(['adam_m/p', 'adam_step', 'adam_v/p', 'c', 'learning_rate', 'p']);
    expect(graph.outputs.map((o) => o.name)).toEqual(['loss', 'grad_norm', 'updated/p', 'updated/adam_m/p', 'updated/adam_v/p']);
  });

  it('matches PyTorch AdamW with gradient clipping step by step', async () => {
    const ours = { p: [0.5, -1, 2, 0.25], m: [0, 0, 0, 0], v: [0, 0, 0, 0] };
    const reference = structuredClone(ours);
    // Norms 0.5 (no clipping), 5 (clipped to 2), 1.5.
    const grads = [[0.1, -0.2, 0.4, 0.2], [3, 0, -4, 0], [1, 1, -0.5, 0.5]];
    for (const [i, grad] of grads.entries()) {
      const out = await graphStep(graph, ours, grad, i + 1, 0.05);
      referenceStep(reference, grad, i + 1, 0.05, settings);
      expect((out[OPTIMIZER_IO.gradNorm]!.data as Float32Array)[0]).toBeCloseTo(Math.hypot(...grad), 5);
      for (const key of ['p', 'm', 'v'] as const) {
        ours[key].forEach((value, j) => expect(value).toBeCloseTo(reference[key][j]!, 5));
      }
    }
  });

  it('skips the step when the gradient is not finite', async () => {
    const state = { p: [0.5, -1, 2, 0.25], m: [0.1, 0, 0, 0], v: [0.01, 0, 0, 0] };
    const before = structuredClone(state);
    const out = await graphStep(graph, state, [1, Number.POSITIVE_INFINITY, 0, 0], 3, 0.05);
    expect(Number.isFinite((out[OPTIMIZER_IO.gradNorm]!.data as Float32Array)[0])).toBe(false);
    expect(state.p).toEqual(before.p.map(Math.fround));
    expect(state.m).toEqual(before.m.map(Math.fround));
    expect(state.v).toEqual(before.v.map(Math.fround));
  });

  it('does not clip when maxGradNorm is infinite', async () => {
    const unclipped = toyGraph({ ...settings, maxGradNorm: Number.POSITIVE_INFINITY, weightDecay: 0 });
    const state = { p: [0, 0, 0, 0], m: [0, 0, 0, 0], v: [0, 0, 0, 0] };
    await graphStep(unclipped, state, [30, 0, -40, 0], 1, 0.1);
    // The first Adam step moves every parameter with a gradient by lr against its sign.
    expect(state.p.map((v) => Math.round(v * 1e4) / 1e4)).toEqual([-0.1, 0, 0.1, 0]);
    expect(state.m[0]).toBeCloseTo(3, 5);
  });
});
