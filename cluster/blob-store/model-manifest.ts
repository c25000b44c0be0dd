import { z } from 'zod';
import { fields } from '../state/commands.ts';
import { BlobIntegrityError, BlobStoreError } from './blob-store-errors.ts';
import { sha256Hex, type CallOptions, type S3BlobStore } from './s3-blob-store.ts';
import { s3Keys } from './s3-keys.ts';

/** Tensor element types a manifest may name (safetensors' names). */
export const TENSOR_DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'] as const;

const tensorEntrySchema = z.strictObject({
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be 64 lowercase hex digits' }),
  shape: z.array(z.int().min(0, { error: 'dimensions must not be negative' })).max(8, { error: 'at most 8 dimensions' }),
  dtype: z.enum(TENSOR_DTYPES, { error: `must be one of ${TENSOR_DTYPES.join(', ')}` }),
});

/**
 * A model version: every tensor by name (its content hash, shape and dtype) plus where it came
 * from. Stored as JSON at `models/<version>/<sha256>.json`; the tensors themselves live in the
 * content store. Field rules match the replicated state (`registerModelVersion`).
 */
export const modelManifestSchema = z
  .strictObject({
    /** Layout of this document; bump on incompatible change. */
    format: z.literal(1, { error: 'must be 1 (the manifest format this version of Teambooth reads)' }),
    version: fields.versionId,
    parent: fields.versionId.nullable(),
    subjects: z.array(fields.subjectToken).refine((s) => new Set(s).size === s.length, { error: 'lists a subject more than once' }),
    mergeMethod: z.enum(['none', 'sum', 'orthogonal'], { error: 'must be one of none (imported base), sum, orthogonal' }),
    createdAt: z.iso.datetime({ error: 'must be an ISO 8601 UTC time such as 2026-11-26T02:00:00Z' }),
    tensors: z
      .record(z.string().min(1, { error: 'tensor names must not be empty' }).max(512), tensorEntrySchema)
      .refine((t) => Object.keys(t).length > 0, { error: 'must list at least one tensor' }),
  })
  .superRefine((manifest, ctx) => {
    if (manifest.parent === manifest.version) ctx.addIssue({ code: 'custom', path: ['parent'], message: 'must differ from version' });
    if (manifest.parent === null && manifest.mergeMethod !== 'none') {
      ctx.addIssue({ code: 'custom', path: ['mergeMethod'], message: 'must be none for a version without a parent (an imported base)' });
    }
  });

/** A validated model manifest. */
export type ModelManifest = z.output<typeof modelManifestSchema>;
/** One tensor of a manifest. */
export type ManifestTensor = ModelManifest['tensors'][string];

/** Validates a manifest. @throws BlobStoreError (`invalid_manifest`) listing every problem by path. */
export function parseModelManifest(input: unknown, source = 'manifest'): ModelManifest {
  const result = modelManifestSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'} ${issue.message}`);
  throw new BlobStoreError('invalid_manifest', `${source} is not a valid model manifest: ${problems.join('; ')}`);
}

/**
 * Validates and stores a manifest at `models/<version>/<sha256 of its bytes>.json`; returns the
 * key, which the version's record in the replicated state names. Manifests are immutable and
 * content-addressed: writing the same manifest again writes the same object, and a merge that
 * lost a race leaves a manifest under its own key that no committed version names.
 */
export async function writeManifest(blobs: S3BlobStore, manifest: ModelManifest, options: CallOptions = {}): Promise<string> {
  const valid = parseModelManifest(manifest);
  const bytes = new TextEncoder().encode(`${JSON.stringify(valid, null, 1)}\n`);
  const hash = sha256Hex(bytes);
  const key = s3Keys.manifest(valid.version, hash);
  if (!(await blobs.exists(key, options))) await blobs.put(key, bytes, { contentType: 'application/json', sha256: hash, ...options });
  return key;
}

/**
 * Reads and validates the manifest at `key` (as {@link writeManifest} named it), checking that its
 * bytes hash to the name and that it describes the version its folder names.
 * @throws BlobNotFoundError, BlobIntegrityError, BlobStoreError (`invalid_manifest`)
 */
export async function readManifest(blobs: S3BlobStore, key: string, options: CallOptions = {}): Promise<ModelManifest> {
  manifestKeyParts(key);
  return parseManifestBytes(await blobs.getBytes(key, options), key);
}

/** The version and hash a manifest key names; throws `invalid_manifest` for any other key. */
function manifestKeyParts(key: string): { version: string; hash: string } {
  const match = /^models\/(v[1-9][0-9]*)\/([0-9a-f]{64})\.json$/.exec(key);
  if (match === null) throw new BlobStoreError('invalid_manifest', `${key} is not a manifest key (models/<version>/<sha256>.json)`);
  return { version: match[1]!, hash: match[2]! };
}

/** Checks and parses manifest bytes read from `key` (by the cluster, or by an agent through a presigned URL). */
export function parseManifestBytes(bytes: Uint8Array, key: string): ModelManifest {
  const { version, hash } = manifestKeyParts(key);
  const actual = sha256Hex(bytes);
  if (actual !== hash) throw new BlobIntegrityError(key, hash, actual);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new BlobStoreError('invalid_manifest', `${key} is not valid JSON (${(error as Error).message}); rewrite it from the merge that made it`);
  }
  const manifest = parseModelManifest(json, key);
  if (manifest.version !== version) {
    throw new BlobStoreError('invalid_manifest', `${key} describes version ${manifest.version}, not ${version}; it was written to the wrong key`);
  }
  return manifest;
}

/**
 * The tensor hashes of `manifest` not in `have` (what an agent still has to download), each once,
 * in the order the manifest lists them.
 */
export function missingTensors(manifest: ModelManifest, have: ReadonlySet<string>): string[] {
  const missing = new Set<string>();
  for (const tensor of Object.values(manifest.tensors)) if (!have.has(tensor.sha256)) missing.add(tensor.sha256);
  return [...missing];
}
