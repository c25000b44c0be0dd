import { open, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, normalize, resolve, sep } from 'node:path';
import type { OnnxModel } from './ir.ts';
import { createOnnxCodec, type ExternalLocation } from './onnx-codec.ts';

/**
 * Reads an ONNX model file, resolving tensors stored in external data files (relative to the
 * model's folder; locations that escape the folder are refused). Errors name the file.
 */
export async function readModel(modelPath: string, options: { signal?: AbortSignal } = {}): Promise<OnnxModel> {
  const bytes = await readFile(modelPath, { signal: options.signal });
  const folder = dirname(resolve(modelPath));
  const requests: { where: ExternalLocation; name: string }[] = [];
  const codec = createOnnxCodec();
  // First pass records every external tensor; the second decodes with their bytes at hand.
  try {
    codec.decode(bytes, (where, name) => {
      requests.push({ where, name });
      return new Uint8Array(where.length);
    });
  } catch (error) {
    throw new Error(`cannot read ONNX model "${modelPath}": ${(error as Error).message}`, { cause: error });
  }
  const loaded = new Map<string, Uint8Array>();
  for (const { where, name } of requests) {
    options.signal?.throwIfAborted();
    const path = normalize(resolve(folder, where.location));
    if (isAbsolute(where.location) || !path.startsWith(folder + sep)) {
      throw new Error(`ONNX model "${modelPath}": tensor "${name}" points outside the model folder (${where.location})`);
    }
    const data = new Uint8Array(where.length);
    const file = await open(path, 'r');
    try {
      const { bytesRead } = await file.read(data, 0, where.length, where.offset);
      if (bytesRead !== where.length) throw new Error(`ONNX model "${modelPath}": "${path}" ends before tensor "${name}" (offset ${where.offset}, length ${where.length})`);
    } finally {
      await file.close();
    }
    loaded.set(name, data);
  }
  return codec.decode(bytes, (_where, name) => loaded.get(name)!);
}
