import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobNotFoundError, BlobStoreError } from './blob-store-errors.ts';
import { missingTensors, parseModelManifest, readManifest, writeManifest } from './model-manifest.ts';
import type { ModelManifest } from './model-manifest.ts';
import { startTestS3 } from './test-s3-fixture.ts';
import type { TestS3 } from './test-s3-fixture.ts';

let t: TestS3;
beforeAll(async () => {
  t = await startTestS3();
});
afterAll(async () => {
  await t.close();
});

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

function manifest(overrides: Partial<ModelManifest> = {}): ModelManifest {
  return {
    format: 1,
    version: 'v2',
    parent: 'v1',
    subjects: ['zxq'],
    mergeMethod: 'orthogonal',
    createdAt: '2026-11-26T02:00:00Z',
    tensors: {
      'unet.down.0.attn.to_q.weight': { sha256: A, shape: [64, 64], dtype: 'F32' },
      'unet.down.0.attn.to_k.weight': { sha256: B, shape: [64, 64], dtype: 'F32' },
      'text_encoder.embeddings.weight': { sha256: A, shape: [64, 64], dtype: 'F32' },
    },
    ...overrides,
  };
}

function problemsOf(input: unknown): string {
  try {
    parseModelManifest(input);
  } catch (error) {
    expect(error).toBeInstanceOf(BlobStoreError);
    expect((error as BlobStoreError).code).toBe('invalid_manifest');
    return (error as Error).message;
  }
  throw new Error('expected the manifest to be refused');
}

describe('model manifests', () => {
  it('round-trips through models/<version>/manifest.json', async () => {
    const key = await writeManifest(t.store, manifest());
    expect(key).toBe('models/v2/manifest.json');
    expect((await t.store.head(key)).contentType).toBe('application/json');
    expect(await readManifest(t.store, 'v2')).toEqual(manifest());
  });

  it('treats versions as immutable: the same manifest again is a no-op, another one is refused', async () => {
    await writeManifest(t.store, manifest({ version: 'v5', parent: 'v4' }));
    await writeManifest(t.store, manifest({ version: 'v5', parent: 'v4' }));
    await expect(writeManifest(t.store, manifest({ version: 'v5', parent: 'v4', subjects: ['other'] }))).rejects.toMatchObject({
      code: 'manifest_exists',
      message: 'models/v5/manifest.json already holds another manifest; model versions are immutable, so write the merge as the next version instead',
    });
    expect((await readManifest(t.store, 'v5')).subjects).toEqual(['zxq']);
  });

  it('names every problem by path', () => {
    const bad = {
      ...manifest(),
      version: '12',
      mergeMethod: 'average',
      createdAt: 'yesterday',
      tensors: { w: { sha256: 'xyz', shape: [-1], dtype: 'F8' } },
    };
    const message = problemsOf(bad);
    expect(message).toMatch(/^manifest is not a valid model manifest: /);
    for (const part of [
      'version a version id looks like v12',
      'mergeMethod must be one of none (imported base), sum, orthogonal',
      'createdAt must be an ISO 8601 UTC time',
      'tensors.w.sha256 must be 64 lowercase hex digits',
      'tensors.w.shape.0 dimensions must not be negative',
      'tensors.w.dtype must be one of F64, F32',
    ]) {
      expect(message).toContain(part);
    }
    expect(problemsOf({ ...manifest(), extra: 1 })).toContain('extra');
    expect(problemsOf(manifest({ parent: null }))).toContain('mergeMethod must be none for a version without a parent');
    expect(problemsOf(manifest({ subjects: ['zxq', 'zxq'] }))).toContain('subjects lists a subject more than once');
    expect(problemsOf(manifest({ tensors: {} }))).toContain('tensors must list at least one tensor');
  });

  it('refuses to write an invalid manifest and to read a broken or misplaced one', async () => {
    await expect(writeManifest(t.store, manifest({ format: 2 as 1 }))).rejects.toThrow(/format must be 1/);
    await t.store.put('models/v3/manifest.json', new TextEncoder().encode('{"format": 1,'), { contentType: 'application/json' });
    await expect(readManifest(t.store, 'v3')).rejects.toThrow(/^models\/v3\/manifest\.json is not valid JSON/);
    await t.store.put('models/v4/manifest.json', new TextEncoder().encode(JSON.stringify(manifest())), { contentType: 'application/json' });
    await expect(readManifest(t.store, 'v4')).rejects.toThrow('models/v4/manifest.json describes version v2, not v4; it was written to the wrong key');
    await expect(readManifest(t.store, 'v9')).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(readManifest(t.store, '../v1')).rejects.toBeInstanceOf(TypeError);
  });

  it('lists the tensors an agent still has to download, each once', () => {
    expect(missingTensors(manifest(), new Set())).toEqual([A, B]);
    expect(missingTensors(manifest(), new Set([A]))).toEqual([B]);
    expect(missingTensors(manifest(), new Set([A, B, C]))).toEqual([]);
  });
});
