import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../config/schema.ts';
import { s3BlobStoreOptions } from './blob-store-from-config.ts';
import { EMBEDDED_S3_LOCAL_CREDENTIALS, startEmbeddedS3 } from './embedded-s3.ts';
import { S3BlobStore } from './s3-blob-store.ts';

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'teambooth-embedded-s3-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('startEmbeddedS3', () => {
  it('serves the configured bucket to a store built from the default config, logging to pino only', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const config = defaultConfig().s3;
    const s3 = await startEmbeddedS3({ directory: join(directory, 'a'), logger, bucket: config.bucket });
    expect(s3.endpoint).toBe(`http://127.0.0.1:${s3.port}`);
    expect(s3.credentials).toEqual(EMBEDDED_S3_LOCAL_CREDENTIALS);
    const store = new S3BlobStore(s3BlobStoreOptions(config, { logger, embeddedEndpoint: s3.endpoint }));
    try {
      await store.put('results/j-1/a.txt', new TextEncoder().encode('hi'), { contentType: 'text/plain' });
      expect(new TextDecoder().decode(await store.getBytes('results/j-1/a.txt'))).toBe('hi');
      expect((await fetch(`${s3.endpoint}/${config.bucket}/results/j-1/a.txt`)).status).toBe(403);
    } finally {
      store.close();
      await s3.stop();
      await s3.stop();
    }
    expect(lines.find((line) => line.msg === 'embedded S3 started')).toMatchObject({ endpoint: s3.endpoint, bucket: 'teambooth' });
    expect(lines.filter((line) => line.msg === 'embedded S3 request' && line.level === 20).length).toBeGreaterThanOrEqual(2);
    expect(lines.find((line) => line.msg === 'embedded S3 refused a request')).toMatchObject({ method: 'GET', code: 'AccessDenied' });
    // Request paths are logged without their query string, so no signature reaches the log.
    expect(JSON.stringify(lines)).not.toContain('X-Amz-Signature');
  });

  it('keeps objects across restarts on the same directory and port, and honours configured credentials', async () => {
    const logger = pino({ level: 'silent' });
    const credentials = { accessKeyId: 'operator-key', secretAccessKey: 'operator-secret-0123' };
    const dir = join(directory, 'b');
    const first = await startEmbeddedS3({ directory: dir, logger, bucket: 'keep', credentials });
    const options = { endpoint: first.endpoint, region: 'us-east-1', bucket: 'keep', forcePathStyle: true, logger };
    const store = new S3BlobStore({ ...options, credentials });
    await store.put('models/v1/manifest.json', new TextEncoder().encode('{}'), { contentType: 'application/json' });
    await first.stop();
    const second = await startEmbeddedS3({ directory: dir, logger, bucket: 'keep', credentials, port: first.port });
    const local = new S3BlobStore({ ...options, credentials: { ...EMBEDDED_S3_LOCAL_CREDENTIALS } });
    try {
      expect(await store.list('models/')).toHaveLength(1);
      await expect(local.getBytes('models/v1/manifest.json')).rejects.toMatchObject({ code: 'access_denied' });
    } finally {
      store.close();
      local.close();
      await second.stop();
    }
  });
});
