import { fields } from '../state/commands.ts';

/**
 * The S3 key layout, in one place (documented in docs/s3-layout.md). Every key the cluster writes,
 * presigns or reads is built here, from ids validated against the same rules as the replicated
 * state (`j-42`, `v12`, subject tokens), so a key can never escape its prefix.
 *
 *   uploads/<upload-id>/<name>                  member photos for a train job   written by the cluster
 *   results/<job-id>/<name>                     images of an imagine job        written by an agent (presigned PUT)
 *   loras/<subject>/<job-id>.safetensors        the LoRA a train job produced   written by an agent (presigned PUT)
 *   tensors/sha256/<first 2 hex>/<sha256>       content-addressed tensors       written by the cluster
 *   models/<version>/<sha256>.json              a model version's manifest      written by the cluster
 */

/** A file name inside a job's folder: letters, digits, `.`, `_`, `-`; no leading dot; at most 128 characters. */
export const FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** An upload of member photos: `u-` and 16 hex digits, drawn at random by the node that stores them. */
export const UPLOAD_ID = /^u-[0-9a-f]{16}$/;

/** The top-level prefixes, each ending in `/`. */
export const S3_PREFIXES = {
  uploads: 'uploads/',
  results: 'results/',
  loras: 'loras/',
  tensors: 'tensors/sha256/',
  models: 'models/',
} as const;

function check(kind: string, value: string, ok: boolean, rule: string): string {
  if (!ok) throw new TypeError(`invalid ${kind} ${JSON.stringify(value)} for an S3 key: ${rule}`);
  return value;
}

function jobId(value: string): string {
  return check('job id', value, fields.jobId.safeParse(value).success, 'a job id looks like j-42');
}

function uploadId(value: string): string {
  return check('upload id', value, UPLOAD_ID.test(value), 'an upload id looks like u-0123456789abcdef');
}

function fileName(value: string): string {
  return check('file name', value, FILE_NAME.test(value), 'use 1-128 letters, digits, ".", "_" or "-", not starting with "."');
}

function sha256(value: string): string {
  return check('sha256', value, SHA256_HEX.test(value), 'must be 64 lowercase hex digits');
}

/** Builders of every S3 key; each validates its parts and throws `TypeError` naming the bad one. */
export const s3Keys = {
  /** A member's photo for a train job: `uploads/u-0123456789abcdef/photo-1.png`. */
  upload: (upload: string, name: string): string => `${S3_PREFIXES.uploads}${uploadId(upload)}/${fileName(name)}`,
  /** The folder of one upload's photos: `uploads/u-0123456789abcdef/`. */
  uploadsOf: (upload: string): string => `${S3_PREFIXES.uploads}${uploadId(upload)}/`,
  /** An output of a job: `results/j-42/image-0.png`. */
  result: (job: string, name: string): string => `${S3_PREFIXES.results}${jobId(job)}/${fileName(name)}`,
  /** The folder of a job's outputs: `results/j-42/`. */
  resultsOf: (job: string): string => `${S3_PREFIXES.results}${jobId(job)}/`,
  /** The LoRA a train job produced for a subject: `loras/zxq/j-42.safetensors`. */
  lora: (subject: string, job: string): string => {
    check('subject token', subject, fields.subjectToken.safeParse(subject).success, 'a subject token is 2-32 lowercase letters, digits, "_" or "-"');
    return `${S3_PREFIXES.loras}${subject}/${jobId(job)}.safetensors`;
  },
  /** A content-addressed tensor: `tensors/sha256/ab/ab12...`. */
  tensor: (hash: string): string => `${S3_PREFIXES.tensors}${sha256(hash).slice(0, 2)}/${hash}`,
  /**
   * A model version's manifest, named by the sha-256 of its bytes: `models/v12/3f5c....json`. A
   * leader that dies after writing a manifest it never committed leaves a file no other can clash with.
   */
  manifest: (version: string, hash: string): string =>
    `${S3_PREFIXES.models}${check('model version', version, fields.versionId.safeParse(version).success, 'a version id looks like v12')}/${sha256(hash)}.json`,
} as const;

/** True when `value` is a sha-256 digest as 64 lowercase hex digits. */
export function isSha256Hex(value: string): boolean {
  return SHA256_HEX.test(value);
}
