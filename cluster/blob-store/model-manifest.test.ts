import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobIntegrityError, BlobNotFoundError, BlobStoreError } from './blob-store-errors.ts';
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
  it('round-trips through models/<version>/<sha256>.json', async () => {
    const key = await writeManifest(t.store, manifest());
    expect(key).toMatch(/^models\/v2\/[0-9a-f]{64}\.json$/);
    expect((await t.store.head(key)).contentType).toBe('application/json');
    expect(await readManifest(t.store, key)).toEqual(manifest());
  });

  it('names manifests by content: the same manifest again is the same object, another one gets its own key', async () => {
    const first = await writeManifest(t.store, manifest({ version: 'v5', parent: 'v4' }));
    expect(await writeManifest(t.store, manifest({ version: 'v5', parent: 'v4' }))).toBe(first);
    const other = await writeManifest(t.store, manifest({ version: 'v5', parent: 'v4', subjects: ['other'] }));
    expect(other).not.toBe(first);
    expect((await readManifest(t.store, first)).subjects).toEqual(['zxq']);
    expect((await readManifest(t.store, other)).subjects).toEqual(['other']);
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
    const put = async (version: string, text: string): Promise<string> => {
      const bytes = new TextEncoder().encode(text);
      const key = `models/${version}/${createHash('sha256').update(bytes).digest('hex')}.json`;
      await t.store.put(key, bytes, { contentType: 'application/json' });
      return key;
    };
    const broken = await put('v3', '{"format": 1,');
    await expect(readManifest(t.store, broken)).rejects.toThrow(/^models\/v3\/[0-9a-f]{64}\.json is not valid JSON/);
    const misplaced = await put('v4', JSON.stringify(manifest()));
    await expect(readManifest(t.store, misplaced)).rejects.toThrow(`${misplaced} describes version v2, not v4; it was written to the wrong key`);
    const renamed = misplaced.replace(/[0-9a-f]{64}/, '0'.repeat(64));
    await t.store.put(renamed, new TextEncoder().encode(JSON.stringify(manifest())), { contentType: 'application/json' });
    await expect(readManifest(t.store, renamed)).rejects.toBeInstanceOf(BlobIntegrityError);
    await expect(readManifest(t.store, `models/v9/${'1'.repeat(64)}.json`)).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(readManifest(t.store, '../v1.json')).rejects.toThrow(/is not a manifest key/);
  });

  it('lists the tensors an agent still has to download, each once', () => {
    expect(missingTensors(manifest(), new Set())).toEqual([A, B]);
    expect(missingTensors(manifest(), new Set([A]))).toEqual([B]);
    expect(missingTensors(manifest(), new Set([A, B, C]))).toEqual([]);
  });
});
