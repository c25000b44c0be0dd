import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { serializeSafetensors } from '../../gpu-agent/lora/serialize-safetensors.ts';
import type { SafetensorsTensor } from '../../gpu-agent/lora/safetensors-format.ts';
import { ContentStore } from '../blob-store/content-store.ts';
import { readManifest, writeManifest, type ModelManifest } from '../blob-store/model-manifest.ts';
import type { S3BlobStore } from '../blob-store/s3-blob-store.ts';
import type { ModelVersion } from '../state/types.ts';
import { importModelDirectory } from './import-model.ts';
import { materializeModel } from './materialize-model.ts';
import { ENTRY_PREFIX } from './model-entry-names.ts';

/**
 * Model versions as an operator handles them (`teambooth model ...`): importing the base model
 * into the object store and the log, and exporting a version as a model directory or one
 * safetensors file. The operator's machine talks to the object store with the cluster's
 * credentials, and to the cluster through the admin API.
 */

/** The two calls of the cluster client these functions need. */
export interface VersionsApi {
  propose(command: unknown, signal?: AbortSignal): Promise<unknown>;
  query(query: unknown, options?: { stale?: boolean; signal?: AbortSignal }): Promise<unknown>;
}

/** What `listModelVersions` answers. */
export interface VersionList {
  versions: ModelVersion[];
  currentVersion: string | null;
}

/**
 * Imports a diffusers ONNX model directory as the cluster's base version (v1): every tensor into
 * the content store (those already there are not written again), then its manifest, then the
 * version through the log. Refused when the cluster already has a version.
 */
export async function importBaseVersion(
  dir: string,
  deps: { api: VersionsApi; blobs: S3BlobStore; logger: Logger; now: () => number; signal?: AbortSignal },
): Promise<ModelVersion> {
  const call = deps.signal === undefined ? {} : { signal: deps.signal };
  const listed = (await deps.api.query({ type: 'listModelVersions' }, call)) as VersionList;
  if (listed.currentVersion !== null) {
    throw new Error(`the cluster already has a model (current version ${listed.currentVersion}); a base is imported once, and fine-tunes merge into it`);
  }
  const manifest = await importModelDirectory(dir, new ContentStore({ blobs: deps.blobs, logger: deps.logger }), {
    version: `v${listed.versions.length + 1}`,
    createdAt: new Date(deps.now()).toISOString(),
    ...call,
  });
  const manifestKey = await writeManifest(deps.blobs, manifest, call);
  return (await deps.api.propose({ type: 'registerModelVersion', parent: null, manifestKey, subjects: [], mergeMethod: 'none' }, deps.signal)) as ModelVersion;
}

/** Reads a version's record and manifest. */
export async function readVersion(version: string, deps: { api: VersionsApi; blobs: S3BlobStore; signal?: AbortSignal }): Promise<{ record: ModelVersion; manifest: ModelManifest }> {
  const call = deps.signal === undefined ? {} : { signal: deps.signal };
  const record = (await deps.api.query({ type: 'getModelVersion', versionId: version }, call)) as ModelVersion;
  return { record, manifest: await readManifest(deps.blobs, record.manifestKey, call) };
}

/** Writes a version as a diffusers ONNX directory (what `imagine --model` and other ONNX tools load). */
export async function exportVersionDirectory(manifest: ModelManifest, target: string, deps: { blobs: S3BlobStore; logger: Logger; signal?: AbortSignal }): Promise<string> {
  const content = new ContentStore({ blobs: deps.blobs, logger: deps.logger });
  return materializeModel(manifest, (hash, signal) => content.getVerified(hash, signal === undefined ? {} : { signal }), target, deps.signal === undefined ? {} : { signal: deps.signal });
}

/**
 * Writes a version's weights as one safetensors file, named `<component>/<initializer>` as in the
 * manifest (e.g. `unet/down_blocks.0...weight`), with the version's metadata. Graphs and other
 * files are left out: the file holds the weights only.
 */
export async function exportVersionSafetensors(manifest: ModelManifest, target: string, deps: { blobs: S3BlobStore; logger: Logger; signal?: AbortSignal }): Promise<number> {
  const content = new ContentStore({ blobs: deps.blobs, logger: deps.logger });
  const call = deps.signal === undefined ? {} : { signal: deps.signal };
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, entry] of Object.entries(manifest.tensors)) {
    if (name.startsWith(ENTRY_PREFIX.graph) || name.startsWith(ENTRY_PREFIX.file)) continue;
    tensors.set(name, { dtype: entry.dtype, shape: entry.shape, bytes: await content.getVerified(entry.sha256, call) });
  }
  const bytes = serializeSafetensors(tensors, {
    version: manifest.version,
    parent: manifest.parent ?? '',
    subjects: manifest.subjects.join(','),
    merge_method: manifest.mergeMethod,
    created_at: manifest.createdAt,
  });
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, bytes);
  return tensors.size;
}
