import type { HostTensor, OnnxSession } from '../onnx/runtime.ts';
import { concatFloat32 } from './host-tensors.ts';
import { staticDim } from './model-geometry.ts';

/** One batched input: `rows` rows of `data`, each of shape `rowDims`. */
export interface BatchedFeed {
  data: Float32Array;
  rowDims: readonly number[];
  /** Turns float32 rows into the session's tensor (dtype conversion). */
  toTensor(data: Float32Array, dims: readonly number[]): HostTensor;
  /** Static batch size of this input in the model, if it has one. */
  fixedBatch: number | undefined;
}

/**
 * Runs `session` over `rows` rows in one call, or, when an input was exported with a static batch
 * size, in chunks of that size (the last chunk padded by repeating its last row). Extra feeds
 * (timesteps) are made per chunk by `extraFeeds(batch)`. Returns the named output, row-concatenated.
 */
export async function runBatched(
  session: OnnxSession,
  rows: number,
  feeds: Readonly<Record<string, BatchedFeed>>,
  extraFeeds: (batch: number) => Record<string, HostTensor>,
  output: { name: string; toFloat32(tensor: HostTensor): Float32Array },
  signal: AbortSignal | undefined,
): Promise<Float32Array> {
  const fixed = Object.values(feeds)
    .map((feed) => feed.fixedBatch)
    .find((batch) => batch !== undefined);
  const batch = fixed ?? rows;
  const parts: Float32Array[] = [];
  for (let start = 0; start < rows; start += batch) {
    const used = Math.min(batch, rows - start);
    const tensors: Record<string, HostTensor> = { ...extraFeeds(batch) };
    for (const [name, feed] of Object.entries(feeds)) {
      const rowSize = feed.rowDims.reduce((a, b) => a * b, 1);
      const chunk = new Float32Array(batch * rowSize);
      chunk.set(feed.data.subarray(start * rowSize, (start + used) * rowSize));
      for (let pad = used; pad < batch; pad++) chunk.copyWithin(pad * rowSize, (used - 1) * rowSize, used * rowSize);
      tensors[name] = feed.toTensor(chunk, [batch, ...feed.rowDims]);
    }
    const result = await session.run(tensors, signal === undefined ? {} : { signal });
    const tensor = result[output.name];
    if (tensor === undefined) throw new Error(`the model returned no "${output.name}" output`);
    const values = output.toFloat32(tensor);
    parts.push(used === batch ? values : values.subarray(0, (values.length / batch) * used));
  }
  return concatFloat32(parts);
}

/** The static batch size of an input's first dim, if any. */
export function fixedBatchOf(dims: readonly (number | string)[]): number | undefined {
  return staticDim(dims[0]);
}
