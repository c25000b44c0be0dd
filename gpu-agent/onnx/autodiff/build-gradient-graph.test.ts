import { describe, expect, it } from 'vitest';
import { attr } from '../attributes.ts';
import { GraphBuilder } from '../graph-builder.ts';
import { inferGraph } from '../infer-graph.ts';
import { buildGradientGraph } from './build-gradient-graph.ts';
import { GradientError } from './gradient-error.ts';
import { createGradientRegistry } from './gradient-registry.ts';
import { checkGradients, worstError } from './testing/finite-differences.ts';
import { expectAgreement, FLOAT64_TOLERANCE } from './testing/op-check.ts';

/** y = tanh(x W + b); loss = mean(y^2); a second output and an unused input that the gradient graph does not need. */
function mlp() {
  const b = new GraphBuilder('mlp');
  const x = b.input('x', 'float64', ['batch', 3]);
  b.input('unused', 'float64', [2]);
  const w = b.initializer('w', 'float64', [3, 2], [0.1, -0.4, 0.3, 0.2, -0.5, 0.7]);
  const bias = b.initializer('b', 'float64', [2], [0.05, -0.1]);
  const frozen = b.initializer('frozen', 'float64', [2], [1, 2]);
  const y = b.tanh(b.add(b.matMul(x, w), bias));
  b.output(b.mul(y, frozen), 'scaled');
  b.output(b.reduceMean(b.mul(y, y), [0, 1], false), 'loss');
  return b.build();
}

describe('buildGradientGraph', () => {
  it('outputs the loss and one gradient per wrt entry with the parameter type; parameters become inputs', () => {
    const graph = buildGradientGraph(mlp(), { loss: 'loss', wrt: ['w', 'b', 'x'] });
    expect(graph.outputs.map((o) => [o.name, o.dtype, o.shape])).toEqual([
      ['loss', 'float64', []],
      ['w_grad', 'float64', [3, 2]],
      ['b_grad', 'float64', [2]],
      ['x_grad', 'float64', ['batch', 3]],
    ]);
    expect(graph.inputs.map((i) => i.name)).toEqual(['x', 'w', 'b']);
    expect(graph.initializers.map((i) => i.name)).not.toContain('w');
    expect(graph.initializers.map((i) => i.name)).not.toContain('frozen');
    expect(graph.nodes.every((n) => n.domain === '')).toBe(true);
    expect(inferGraph(graph).get('x_grad')?.shape).toEqual(['batch', 3]);
  });

  it('keeps parameters as initializers when asked and names gradients as told', () => {
    const graph = buildGradientGraph(mlp(), { loss: 'loss', wrt: ['w'], parametersAsInputs: false, gradientName: (n) => `grad.${n}` });
    expect(graph.inputs.map((i) => i.name)).toEqual(['x']);
    expect(graph.initializers.map((i) => i.name)).toContain('w');
    expect(graph.outputs.map((o) => o.name)).toEqual(['loss', 'grad.w']);
  });

  it('gives zeros to a parameter the loss does not depend on, and drops nodes only the other output needed', () => {
    const graph = buildGradientGraph(mlp(), { loss: 'loss', wrt: ['w', 'frozen'] });
    expect(graph.outputs.map((o) => o.name)).toEqual(['loss', 'w_grad', 'frozen_grad']);
    const scaling = mlp().nodes.find((n) => n.opType === 'Mul' && n.inputs.includes('frozen'))!;
    expect(graph.nodes.map((n) => n.name)).not.toContain(scaling.name);
    const zeros = graph.nodes.find((n) => n.outputs.includes('frozen_grad'))!;
    expect(graph.nodes.find((n) => n.outputs.includes(zeros.inputs[0]!))?.opType).toBe('ConstantOfShape');
  });

  it('matches finite differences end to end, with fan-out accumulated by Sum', async () => {
    const b = new GraphBuilder('fanout');
    const x = b.input('x', 'float64', [4]);
    const loss = b.reduceSum(b.add(b.mul(b.sin(x), x), b.mul(b.exp(x), b.cos(x))), [0], false);
    b.output(loss, 'loss');
    const check = await checkGradients(b.build(), { loss: 'loss', wrt: ['x'], feeds: { x: { dims: [4], data: [0.1, -0.7, 1.3, 2.1] } } });
    expectAgreement(check, FLOAT64_TOLERANCE);
    expect(check.graph.nodes.some((n) => n.opType === 'Sum')).toBe(true);
  });

  it('keeps shape-only subgraphs (Shape, Gather, Concat, ConstantOfShape) without differentiating them', async () => {
    const b = new GraphBuilder('exported');
    const x = b.input('x', 'float64', ['batch', 2, 3]);
    const shape = b.node('Shape', [x])[0]!;
    const batch = b.unsqueeze(b.gather(shape, b.constant('int64', [], [0])), [0]);
    const flat = b.node('Reshape', [x, b.concat([batch, b.ints([-1])], 0)])[0]!;
    const ones = b.node('ConstantOfShape', [b.node('Shape', [flat])[0]!], { value: attr.tensor({ name: 'v', dtype: 'float64', dims: [1], data: new Float64Array([1]) }) })[0]!;
    const y = b.mul(b.sigmoid(flat), b.add(ones, 1));
    b.output(b.reduceSum(b.mul(y, y), [0, 1], false), 'loss');
    const forward = b.build();
    expect(flat.shape).toEqual(['batch', 6]);
    const check = await checkGradients(forward, { loss: 'loss', wrt: ['x'], feeds: { x: { dims: [2, 2, 3], data: [0.3, -0.2, 0.8, 1.1, -0.9, 0.4, 0.5, 0.6, -1.2, 0.05, 0.7, -0.3] } } });
    expectAgreement(check, FLOAT64_TOLERANCE);
    expect(check.graph.nodes.filter((n) => n.opType === 'Shape' && !n.name.startsWith('grad/')).length).toBe(2);
  });

  it('rejects a missing rule, naming the op and node; a registered rule fills the gap', () => {
    const b = new GraphBuilder('max');
    const x = b.input('x', 'float64', [3]);
    b.output(b.reduceSum(b.reduceMax(x, [0], true), [0], false), 'loss');
    const forward = b.build();
    const node = forward.nodes.find((n) => n.opType === 'ReduceMax')!;
    expect(() => buildGradientGraph(forward, { loss: 'loss', wrt: ['x'] })).toThrow(GradientError);
    expect(() => buildGradientGraph(forward, { loss: 'loss', wrt: ['x'] })).toThrow(`no gradient rule for operator ReduceMax (node "${node.name}")`);
    const registry = createGradientRegistry();
    registry.register('ReduceMax', (ctx) => {
      const e = ctx.emit;
      const hit = e.cast(e.one('Equal', [ctx.input(0), ctx.output(0)]), 'float64');
      return [e.mul(hit, ctx.outputGrad(0)!)];
    });
    const graph = buildGradientGraph(forward, { loss: 'loss', wrt: ['x'], registry });
    expect(graph.outputs.map((o) => o.name)).toEqual(['loss', 'x_grad']);
    expect(createGradientRegistry().get('ReduceMax')).toBeUndefined();
  });

  it('finite differences catch a wrong rule', async () => {
    const b = new GraphBuilder('wrong');
    const x = b.input('x', 'float64', [3]);
    b.output(b.reduceSum(b.exp(x), [0], false), 'loss');
    const registry = createGradientRegistry();
    registry.register('Exp', (ctx) => [ctx.emit.mul(ctx.outputGrad(0)!, ctx.input(0))]);
    const graph = buildGradientGraph(b.build(), { loss: 'loss', wrt: ['x'], registry });
    expect(graph.nodes.some((n) => n.opType === 'Mul' && n.inputs.includes('x'))).toBe(true);
    const check = await checkGradients(b.build(), { loss: 'loss', wrt: ['x'], feeds: { x: { dims: [3], data: [0.5, 1, 2] } }, registry });
    expect(worstError(check.entries, FLOAT64_TOLERANCE.atol, FLOAT64_TOLERANCE.rtol).ratio).toBeGreaterThan(1e3);
  });

  it('rejects bad options with messages that say what to change', () => {
    const forward = mlp();
    expect(() => buildGradientGraph(forward, { loss: 'nope', wrt: ['w'] })).toThrow('loss "nope" is not a value of graph "mlp"');
    expect(() => buildGradientGraph(forward, { loss: 'scaled', wrt: ['w'] })).toThrow('loss "scaled" must be a float scalar (shape [] or [1]), got float64 [batch, 2]');
    expect(() => buildGradientGraph(forward, { loss: 'loss', wrt: ['missing'] })).toThrow('wrt "missing" is not an initializer or input of graph "mlp"');
    expect(() => buildGradientGraph(forward, { loss: 'loss', wrt: ['w', 'w'] })).toThrow('wrt "w" is listed twice');
    expect(() => buildGradientGraph(forward, { loss: 'loss', wrt: ['w'], gradientName: () => 'x' })).toThrow('output name "x" is already used');
  });
});
