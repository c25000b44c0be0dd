import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModel } from '../../gpu-agent/tiny-model/index.ts';
import { ContentStore } from '../blob-store/content-store.ts';
import { readManifest, writeManifest, type ModelManifest } from '../blob-store/model-manifest.ts';
import { silentLogger, startTestS3, type TestS3 } from '../blob-store/test-s3-fixture.ts';
import { importModelDirectory } from './import-model.ts';
import { materializeModel } from './materialize-model.ts';
import { TensorCache } from './tensor-cache.ts';
import { firstImagePixels } from '../../gpu-agent/pipeline/testing/first-image-pixels.ts';

const logger = silentLogger();
let dir = '';
let base = '';
let s3: TestS3;
let store: ContentStore;
let manifest: ModelManifest;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teambooth-models-'));
  base = await ensureTinyModel(join(dir, 'models'));
  s3 = await startTestS3();
  store = new ContentStore({ blobs: s3.store, logger });
  manifest = await importModelDirectory(base, store, { version: 'v1', createdAt: '2026-01-01T00:00:00.000Z' });
});
afterAll(async () => {
  await s3.close();
  await rm(dir, { recursive: true, force: true });
});

const pixels = (model: string): Promise<Buffer> => firstImagePixels(model, logger);

describe('importModelDirectory', () => {
  it('stores each float weight, each graph skeleton and each file as its own content-addressed entry', async () => {
    const names = Object.keys(manifest.tensors);
    expect(manifest).toMatchObject({ version: 'v1', parent: null, mergeMethod: 'none', subjects: [] });
    for (const component of ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder']) {
      expect(names).toContain(`graphs/${component}/model.onnx`);
      expect(names).toContain(`graphs/${component}/model.onnx.linear-layers.json`);
      expect(names.filter((n) => n.startsWith(`${component}/`)).length).toBeGreaterThan(5);
    }
    expect(names).toEqual(expect.arrayContaining(['files/model_index.json', 'files/teambooth.json', 'files/unet/config.json', 'files/scheduler/scheduler_config.json']));
    expect(names.some((n) => n.endsWith('onnx_data'))).toBe(false);
    expect(names.filter((n) => n.startsWith('tokenizer/') || n.startsWith('files/tokenizer/')).length).toBeGreaterThan(0);
    const weight = Object.entries(manifest.tensors).find(([n]) => n.startsWith('unet/'))![1];
    expect(weight.dtype).toBe('F32');
    expect((await store.getVerified(weight.sha256)).byteLength).toBe(4 * weight.shape.reduce((a, b) => a * b, 1));
    const config = await store.getVerified(manifest.tensors['files/unet/config.json']!.sha256);
    expect(Buffer.from(config).equals(await readFile(join(base, 'unet/config.json')))).toBe(true);
    expect(await readManifest(s3.store, await writeManifest(s3.store, manifest))).toEqual(manifest);
  });

  it('uploads nothing when the same directory is imported again', async () => {
    const objects = (await s3.store.list('tensors/')).length;
    const again = await importModelDirectory(base, store, { version: 'v1', createdAt: '2026-01-01T00:00:00.000Z' });
    expect(again).toEqual(manifest);
    expect(await s3.store.list('tensors/')).toHaveLength(objects);
  });
});

describe('materializeModel', () => {
  it('rebuilds a directory, through the tensor cache, that generates the same image as the original', async () => {
    let fetches = 0;
    const cache = await TensorCache.open({
      directory: join(dir, 'cache'),
      maxBytes: 64 * 2 ** 20,
      fetch: (hash, signal) => {
        fetches++;
        return store.getVerified(hash, signal === undefined ? {} : { signal });
      },
      logger,
    });
    const target = await materializeModel(manifest, (hash, signal) => cache.get(hash, signal), join(dir, 'v1'));
    // Every entry but the linear-layer indexes (which only merges read), each distinct hash once.
    const needed = Object.entries(manifest.tensors).filter(([name]) => !name.endsWith('.linear-layers.json'));
    const unique = new Set(needed.map(([, t]) => t.sha256)).size;
    expect(fetches).toBe(unique);
    // The external data keeps its layout, so even the UNet's files come back byte for byte.
    for (const file of ['unet/model.onnx', 'unet/model.onnx_data', 'text_encoder/model.onnx', 'tokenizer/vocab.json']) {
      expect((await readFile(join(target, file))).equals(await readFile(join(base, file))), file).toBe(true);
    }
    expect((await pixels(target)).equals(await pixels(base))).toBe(true);
    await materializeModel(manifest, (hash, signal) => cache.get(hash, signal), join(dir, 'v1-again'));
    expect(fetches).toBe(unique);
    await expect(materializeModel(manifest, (hash) => cache.get(hash), target)).rejects.toThrow(/already exists; choose a new folder/);
  });

  it('refuses a manifest entry whose path would leave the directory', async () => {
    const evil = { ...manifest, tensors: { ...manifest.tensors, 'files/../escape.json': manifest.tensors['files/teambooth.json']! } };
    await expect(materializeModel(evil, (hash) => store.getVerified(hash), join(dir, 'evil'))).rejects.toThrow(/is not a plain relative path/);
    expect(await readdir(dir)).not.toContain('evil');
  });

  it('leaves neither the target nor a partial directory behind when a fetch fails', async () => {
    const missing = manifest.tensors['files/unet/config.json']!.sha256;
    const fetchTensor = async (hash: string): Promise<Uint8Array> => {
      if (hash === missing) throw new Error('tensor unavailable');
      return store.getVerified(hash);
    };
    await expect(materializeModel(manifest, fetchTensor, join(dir, 'broken'), { concurrency: 8 })).rejects.toThrow('tensor unavailable');
    expect((await readdir(dir)).filter((name) => name === 'broken' || name.startsWith('.materializing-'))).toEqual([]);
  });
});
