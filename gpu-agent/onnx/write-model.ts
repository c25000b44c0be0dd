import { open, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isFloat, tensorBytes } from './dtype.ts';
import type { Initializer, OnnxModel } from './ir.ts';
import { createOnnxCodec, type ExternalLocation } from './onnx-codec.ts';

/** Options of {@link writeModel}. */
export interface WriteModelOptions {
  /**
   * Keep large initializers in a side file, as ONNX's external data format does (required above
   * the 2 GB protobuf limit; Stable Diffusion's unet ships as `model.onnx` + `model.onnx_data`).
   */
  externalData?: {
    /** File name, relative to the model's folder (default: `<model file name>_data`). */
    location?: string;
    /** Float tensors of at least this many bytes go to the side file (default 1024; small constants such as Resize scales must stay inline). */
    sizeThreshold?: number;
    /** Offsets in the side file are multiples of this (default 64). */
    alignment?: number;
  };
  signal?: AbortSignal;
}

/** Sizes of what {@link writeModel} wrote. */
export interface WrittenModel {
  modelBytes: number;
  /** Bytes of the external data file, 0 when none was written. */
  externalBytes: number;
  externalPath?: string;
}

/**
 * Serializes a model to `modelPath` (and its external data file, when asked). The output is a
 * pure function of the model and options, so the same model always gives byte-identical files.
 */
export async function writeModel(modelPath: string, model: OnnxModel, options: WriteModelOptions = {}): Promise<WrittenModel> {
  const codec = createOnnxCodec();
  const external = options.externalData;
  if (external === undefined) {
    const bytes = codec.encode(model);
    await writeFile(modelPath, bytes, { signal: options.signal });
    return { modelBytes: bytes.byteLength, externalBytes: 0 };
  }
  const location = external.location ?? `${basename(modelPath)}_data`;
  const threshold = external.sizeThreshold ?? 1024;
  const alignment = external.alignment ?? 64;
  const chunks: { offset: number; data: Uint8Array }[] = [];
  let end = 0;
  const place = (tensor: Initializer): ExternalLocation | undefined => {
    const data = tensorBytes(tensor.data);
    // Integer tensors hold shapes and axes, which onnxruntime must read while loading: keep them inline.
    if (data.byteLength < threshold || !isFloat(tensor.dtype)) return undefined;
    const offset = Math.ceil(end / alignment) * alignment;
    chunks.push({ offset, data });
    end = offset + data.byteLength;
    return { location, offset, length: data.byteLength };
  };
  const bytes = codec.encode(model, place);
  const externalPath = join(dirname(modelPath), location);
  const file = await open(externalPath, 'w');
  try {
    for (const chunk of chunks) {
      options.signal?.throwIfAborted();
      await file.write(chunk.data, 0, chunk.data.byteLength, chunk.offset);
    }
    await file.truncate(end);
  } finally {
    await file.close();
  }
  await writeFile(modelPath, bytes, { signal: options.signal });
  return { modelBytes: bytes.byteLength, externalBytes: end, externalPath };
}
