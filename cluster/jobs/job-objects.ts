import { sha256Hex, type S3BlobStore } from '../blob-store/s3-blob-store.ts';
import { BlobNotFoundError } from '../blob-store/blob-store-errors.ts';
import { s3Keys } from '../blob-store/s3-keys.ts';
import type { Job } from '../state/types.ts';
import { outputNames, type JobSpec } from './job-params.ts';

/** The presigned URLs of one leased job, by file name. */
export interface JobUrls {
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}

/** One output of a finished job, as its result records it. */
export interface JobOutput {
  name: string;
  key: string;
  bytes: number;
  sha256: string;
}

/** Checks an output of `job`: undefined when its bytes are good, else one sentence saying what is wrong. */
export type OutputCheck = (name: string, bytes: Uint8Array, job: Job, signal: AbortSignal) => Promise<string | undefined>;

/** A job's kind and params as submitted (they were checked by `parseJobSpec` before the job entered the log). */
export function specOf(job: Job): JobSpec {
  return { kind: job.kind, params: job.params } as JobSpec;
}

/** The S3 key of one output of a job. */
export function outputKey(job: Job, name: string): string {
  const spec = specOf(job);
  return spec.kind === 'train' ? s3Keys.lora(spec.params.token, job.id) : s3Keys.result(job.id, name);
}

/**
 * Presigned URLs for exactly the objects of one job: GET for its inputs (a train job's photos),
 * PUT for its outputs (an imagine job's PNGs, a train job's LoRA). Nothing else is reachable
 * with them, and they expire after the blob store's presign lifetime.
 */
export async function presignJobUrls(blobs: S3BlobStore, job: Job): Promise<JobUrls> {
  const spec = specOf(job);
  const inputs: Record<string, string> = {};
  const outputs: Record<string, string> = {};
  if (spec.kind === 'train') {
    for (const photo of spec.params.photos) inputs[photo] = (await blobs.presignGet(s3Keys.upload(spec.params.uploadId, photo))).url;
  }
  const contentType = spec.kind === 'imagine' ? 'image/png' : 'application/octet-stream';
  for (const name of outputNames(spec)) outputs[name] = (await blobs.presignPut(outputKey(job, name), { contentType })).url;
  return { inputs, outputs };
}

/** What reading and checking a job's uploaded outputs found. */
export type OutputsVerdict = { ok: true; outputs: JobOutput[] } | { ok: false; reason: string };

/**
 * Reads every output the job must have from S3 and checks it; the first missing or bad one is
 * the verdict's reason. `reported` are the names the agent says it uploaded.
 */
export async function verifyOutputs(blobs: S3BlobStore, job: Job, reported: readonly string[], check: OutputCheck, signal: AbortSignal): Promise<OutputsVerdict> {
  const spec = specOf(job);
  const outputs: JobOutput[] = [];
  for (const name of outputNames(spec)) {
    if (!reported.includes(name)) return { ok: false, reason: `output ${name} is missing from the completion (it reported ${reported.length === 0 ? 'none' : reported.join(', ')})` };
    const key = outputKey(job, name);
    let bytes: Uint8Array;
    try {
      bytes = await blobs.getBytes(key, { signal });
    } catch (error) {
      if (error instanceof BlobNotFoundError) return { ok: false, reason: `output ${name} was never uploaded` };
      throw error;
    }
    const problem = await check(name, bytes, job, signal);
    if (problem !== undefined) return { ok: false, reason: `output ${name}: ${problem}` };
    outputs.push({ name, key, bytes: bytes.byteLength, sha256: sha256Hex(bytes) });
  }
  return { ok: true, outputs };
}
