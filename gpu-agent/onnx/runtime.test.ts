import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from './graph-builder.ts';
import { createSession, CUDA_INSTALL_COMMAND, detectCudaProvider, OnnxRuntimeError, resolveExecutionProviders } from './runtime.ts';
import { writeModel } from './write-model.ts';

function capturingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

const silent = pino({ level: 'silent' });
const cudaInstalled = detectCudaProvider().available;

describe('execution provider resolution', () => {
  const missing = () => ({ available: false, reason: 'no CUDA here' });
  const present = () => ({ available: true });

  it('cpu is always the CPU; auto prefers CUDA when installed', () => {
    expect(resolveExecutionProviders('cpu', missing)).toEqual({ provider: 'cpu' });
    expect(resolveExecutionProviders('auto', present)).toEqual({ provider: 'cuda' });
    expect(resolveExecutionProviders('cuda', present)).toEqual({ provider: 'cuda' });
  });

  it('auto falls back to the CPU with a reason; cuda fails with the install command', () => {
    expect(resolveExecutionProviders('auto', missing)).toEqual({ provider: 'cpu', fallbackReason: 'no CUDA here' });
    expect(() => resolveExecutionProviders('cuda', missing)).toThrow(OnnxRuntimeError);
    expect(() => resolveExecutionProviders('cuda', missing)).toThrow(CUDA_INSTALL_COMMAND);
  });
});

describe('createSession', () => {
  let dir: string;
  let modelPath: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'teambooth-runtime-'));
    const b = new GraphBuilder('io');
    const ids = b.input('input_ids', 'int32', ['batch', 5]);
    const step = b.input('timestep', 'int64', ['batch']);
    const half = b.input('half', 'float16', [2]);
    b.output(b.mul(b.cast(ids, 'float32'), 0.5), 'scaled');
    b.output(b.add(step, b.scalar(1, 'int64')), 'next');
    b.output(b.identity(half), 'half_out');
    modelPath = join(dir, 'model.onnx');
    await writeModel(modelPath, b.model());
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports input and output metadata, and runs int32, int64 and float16 tensors', async () => {
    const session = await createSession(modelPath, { device: 'cpu', logger: silent, intraOpThreads: 1 });
    expect(session.provider).toBe('cpu');
    expect(session.inputs).toEqual([
      { name: 'input_ids', dtype: 'int32', dims: ['batch', 5] },
      { name: 'timestep', dtype: 'int64', dims: ['batch'] },
      { name: 'half', dtype: 'float16', dims: [2] },
    ]);
    expect(session.outputs.map((o) => [o.name, o.dtype])).toEqual([['scaled', 'float32'], ['next', 'int64'], ['half_out', 'float16']]);
    const out = await session.run({
      input_ids: { dtype: 'int32', dims: [1, 5], data: new Int32Array([2, 4, 6, 8, 10]) },
      timestep: { dtype: 'int64', dims: [1], data: new BigInt64Array([999n]) },
      half: { dtype: 'float16', dims: [2], data: new Uint16Array([0x3c00, 0xc000]) },
    });
    expect(Array.from(out.scaled!.data as Float32Array)).toEqual([1, 2, 3, 4, 5]);
    expect(out.next!.data).toEqual(new BigInt64Array([1000n]));
    expect(out.half_out).toEqual({ dtype: 'float16', dims: [2], data: new Uint16Array([0x3c00, 0xc000]) });
    await session.release();
  });

  it('rejects feeds of the wrong type or size, missing feeds and aborted runs', async () => {
    const session = await createSession(modelPath, { device: 'cpu', logger: silent });
    const good = {
      input_ids: { dtype: 'int32' as const, dims: [1, 5], data: new Int32Array(5) },
      timestep: { dtype: 'int64' as const, dims: [1], data: new BigInt64Array(1) },
      half: { dtype: 'float16' as const, dims: [2], data: new Uint16Array(2) },
    };
    await expect(session.run({ ...good, input_ids: { dtype: 'int64', dims: [1, 5], data: new BigInt64Array(5) } })).rejects.toThrow(/"input_ids" must be int32, got int64/);
    await expect(session.run({ ...good, input_ids: { dtype: 'int32', dims: [1, 5], data: new Int32Array(4) } })).rejects.toThrow(/4 elements do not fill dims \[1, 5\]/);
    const { half: _half, ...withoutHalf } = good;
    await expect(session.run(withoutHalf)).rejects.toThrow(/missing input "half"/);
    const controller = new AbortController();
    controller.abort(new Error('stop now'));
    await expect(session.run(good, { signal: controller.signal })).rejects.toThrow('stop now');
    await session.release();
  });

  it('names the file when the model is missing or corrupt', async () => {
    const missing = join(dir, 'nope', 'model.onnx');
    await expect(createSession(missing, { device: 'cpu', logger: silent })).rejects.toMatchObject({ code: 'model-missing', message: expect.stringContaining(missing) });
    const corrupt = join(dir, 'corrupt.onnx');
    await writeFile(corrupt, 'not a model');
    await expect(createSession(corrupt, { device: 'cpu', logger: silent })).rejects.toMatchObject({ code: 'model-invalid', message: expect.stringContaining(corrupt) });
  });

  it.skipIf(cudaInstalled)('auto falls back to the CPU with one log line; cuda fails with the install command', async () => {
    const { logger, lines } = capturingLogger();
    const session = await createSession(modelPath, { device: 'auto', logger });
    expect(session.provider).toBe('cpu');
    const fallback = lines.filter((l) => String(l['msg']).includes('CUDA is not available'));
    expect(fallback).toHaveLength(1);
    expect(lines.some((l) => l['msg'] === 'ONNX session ready' && l['provider'] === 'cpu')).toBe(true);
    await session.release();
    await expect(createSession(modelPath, { device: 'cuda', logger: silent })).rejects.toThrow(CUDA_INSTALL_COMMAND);
  });
});
