import { Worker } from 'node:worker_threads';
import type { LinearLayer } from '../../gpu-agent/lora/find-linear-layers.ts';
import type { LoraLayer } from '../../gpu-agent/lora/lora-weights.ts';
import type { LoraDeltaJob, LoraDeltaResult } from './lora-delta-job.ts';

/**
 * A worker thread that adds LoRA deltas to weights, so that a merge's arithmetic (seconds for SD's
 * UNet) never blocks the event loop that sends Raft heartbeats. Weights travel by transfer, so
 * the caller's copy is consumed. Jobs run one at a time in the order given.
 */
export class LoraDeltaWorker {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (result: { bytes: Uint8Array; sha256: string }) => void; reject: (error: Error) => void }>();
  #nextId = 0;
  #failure: Error | undefined;

  constructor() {
    const entry = new URL('./lora-delta-worker-main.ts', import.meta.url).href;
    this.#worker = new Worker(new URL('./worker-bootstrap.js', import.meta.url), { workerData: { entry } });
    this.#worker.on('message', (result: LoraDeltaResult) => {
      const pending = this.#pending.get(result.id);
      this.#pending.delete(result.id);
      if ('error' in result) pending?.reject(new Error(result.error));
      else pending?.resolve({ bytes: new Uint8Array(result.weight), sha256: result.sha256 });
    });
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', (code) => this.#fail(new Error(`the LoRA merge worker exited (code ${code})`)));
  }

  /**
   * `weight + multiplier * (alpha / rank) * up down` in the weight's layout and dtype (see
   * `addLoraDelta`), after checking that `weight` hashes to `expectedSha256`; resolves with the
   * new bytes and their sha-256.
   */
  apply(weight: Uint8Array, expectedSha256: string, dtype: LinearLayer['dtype'], layout: LinearLayer['layout'], layer: LoraLayer, multiplier: number): Promise<{ bytes: Uint8Array; sha256: string }> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    // Only a buffer of its own can be transferred (Node pools small Buffers in shared ones).
    const own = weight.byteOffset === 0 && weight.byteLength === weight.buffer.byteLength && weight.buffer instanceof ArrayBuffer ? weight.buffer : weight.slice().buffer;
    const job: LoraDeltaJob = { id, weight: own, dtype, layout, layer, multiplier, expectedSha256 };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage(job, [own]);
    });
  }

  /** Stops the worker; jobs still pending are rejected. */
  async close(): Promise<void> {
    this.#failure ??= new Error('the LoRA merge worker was closed');
    await this.#worker.terminate();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const pending of this.#pending.values()) pending.reject(this.#failure);
    this.#pending.clear();
  }
}
