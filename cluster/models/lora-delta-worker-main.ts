import { parentPort } from 'node:worker_threads';
import { addLoraDelta } from '../../gpu-agent/lora/merge-lora.ts';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../../gpu-agent/pipeline/host-tensors.ts';
import type { LoraDeltaJob, LoraDeltaResult } from './lora-delta-job.ts';
import { assertTensorHash, sha256 } from './tensor-hash.ts';

/**
 * Worker entry of `LoraDeltaWorker`: checks each posted weight against its hash, applies
 * `addLoraDelta` in the weight's own dtype, and hashes the result, so that neither the hashing
 * nor the arithmetic runs on the event loop of the node.
 */
function run(job: LoraDeltaJob): ArrayBuffer {
  assertTensorHash(job.weight, job.expectedSha256);
  if (job.dtype === 'float16') {
    const values = float16BitsToFloat32(new Uint16Array(job.weight));
    addLoraDelta(values, job.layout, job.layer, job.multiplier);
    const halves = float32ToFloat16Bits(values);
    return halves.buffer.byteLength === halves.byteLength ? (halves.buffer as ArrayBuffer) : halves.slice().buffer;
  }
  addLoraDelta(new Float32Array(job.weight), job.layout, job.layer, job.multiplier);
  return job.weight;
}

parentPort!.on('message', (job: LoraDeltaJob) => {
  let result: LoraDeltaResult;
  try {
    const weight = run(job);
    result = { id: job.id, weight, sha256: sha256(weight) };
  } catch (error) {
    result = { id: job.id, error: (error as Error).message };
  }
  parentPort!.postMessage(result, 'weight' in result ? [result.weight] : []);
});
