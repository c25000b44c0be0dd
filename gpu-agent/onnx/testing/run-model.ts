import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { OnnxModel } from '../ir.ts';
import { createSession, type HostTensor } from '../runtime.ts';
import { writeModel, type WriteModelOptions } from '../write-model.ts';

/** Test helper: writes a model to a temporary folder, runs it once on the CPU, and deletes the folder. */
export async function runModel(model: OnnxModel, feeds: Record<string, HostTensor>, options: WriteModelOptions = {}): Promise<Record<string, HostTensor>> {
  const dir = await mkdtemp(join(tmpdir(), 'teambooth-onnx-'));
  try {
    const path = join(dir, 'model.onnx');
    await writeModel(path, model, options);
    const session = await createSession(path, { device: 'cpu', logger: pino({ level: 'silent' }), intraOpThreads: 1 });
    try {
      return await session.run(feeds);
    } finally {
      await session.release();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
