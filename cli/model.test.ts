import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSafetensors } from '../gpu-agent/lora/parse-safetensors.ts';
import { ensureTinyModel } from '../gpu-agent/tiny-model/ensure-tiny-model.ts';
import { runCli } from './run-cli.ts';
import { ClusterCliContext, startTestCluster, type TestCluster } from './test-cluster.ts';

// One cluster for the file; tests run in order (the first sees a cluster without a model).
let cluster: TestCluster;
let cwd = '';
let tiny = '';
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'teambooth-cli-model-'));
  cluster = await startTestCluster();
  tiny = await ensureTinyModel(join(cwd, 'models'), { logger: pino({ level: 'silent' }) });
});
afterAll(async () => {
  await cluster?.close();
  await rm(cwd, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ ctx: ClusterCliContext; status: number }> {
  const ctx = new ClusterCliContext(cwd);
  ctx.env = { ...ctx.env, ...cluster.s3Env };
  const status = await runCli([...args, '--servers', cluster.address], ctx);
  return { ctx, status };
}

describe('teambooth model', () => {
  it('says how to import a base when the cluster has no model', async () => {
    const { ctx, status } = await cli(['model', 'list']);
    expect(status).toBe(0);
    expect(ctx.out).toBe('No model version yet. Import the base model with: teambooth model import DIR\n');
  });

  it('imports a base model once, and lists and shows it', async () => {
    const imported = await cli(['model', 'import', tiny]);
    expect(imported.ctx.err).toBe('');
    expect(imported.ctx.out).toBe(`Imported ${tiny} as v1; it is the current model. Fine-tunes from \`teambooth train\` merge into it.\n`);
    const again = await cli(['model', 'import', tiny]);
    expect(again.status).toBe(1);
    expect(again.ctx.err).toContain('the cluster already has a model (current version v1); a base is imported once, and fine-tunes merge into it');

    const listed = await cli(['model', 'list']);
    expect(listed.ctx.out).toMatch(/^VERSION\s+PARENT\s+METHOD\s+SUBJECTS\s+MERGE JOB\s+CREATED\n/);
    expect(listed.ctx.out).toMatch(/\nv1 \(current\)\s+-\s+none\s+-\s+-\s+\d{4}-/);
    const shown = await cli(['model', 'show', 'v1']);
    expect(shown.ctx.out).toMatch(/^v1: parent \(none: imported base\), method none, created /);
    expect(shown.ctx.out).toMatch(/\nmanifest: models\/v1\/[0-9a-f]{64}\.json \(\d+ entries, \d+\.\d MiB\)\n$/);
    const missing = await cli(['model', 'show', 'v9']);
    expect(missing.status).toBe(1);
    expect(missing.ctx.err).toContain('there is no model version v9');
  });

  it('exports a version as the model directory it was imported from, or as one safetensors file of its weights', async () => {
    const dir = await cli(['model', 'export', 'v1', '-o', 'exported']);
    expect(dir.ctx.out).toBe(`Exported v1: the model directory ${join(cwd, 'exported')}\n`);
    for (const file of ['unet/model.onnx', 'text_encoder/model.onnx', 'vae_decoder/model.onnx', 'tokenizer/vocab.json']) {
      expect(Buffer.from(await readFile(join(cwd, 'exported', file))).equals(await readFile(join(tiny, file))), file).toBe(true);
    }
    const file = await cli(['model', 'export', 'v1', '-o', 'v1.safetensors']);
    expect(file.ctx.out).toMatch(/^Exported v1: \d+ tensors to .*v1\.safetensors\n$/);
    const parsed = parseSafetensors(new Uint8Array(await readFile(join(cwd, 'v1.safetensors'))));
    expect(parsed.metadata).toMatchObject({ version: 'v1', merge_method: 'none' });
    expect([...parsed.tensors.keys()].some((name) => name.startsWith('unet/'))).toBe(true);
    expect([...parsed.tensors.keys()].some((name) => name.startsWith('graphs/'))).toBe(false);
  });

  it('shows and changes the merge settings, refusing values it cannot use', async () => {
    expect((await cli(['model', 'settings'])).ctx.out).toBe('method: sum\nkeep: every subject\nmerges: running\n');
    expect((await cli(['model', 'settings', '--method', 'orthogonal', '--keep-last', '3', '--pause'])).ctx.out).toBe('method: orthogonal\nkeep: the 3 newest subjects\nmerges: paused\n');
    expect((await cli(['model', 'settings', '--method', 'sum', '--keep-last', 'all', '--resume'])).ctx.out).toBe('method: sum\nkeep: every subject\nmerges: running\n');
    const bad = await cli(['model', 'settings', '--keep-last', 'some']);
    expect(bad.status).toBe(2);
    expect(bad.ctx.err).toContain('--keep-last is a number of subjects from 1 to 4096, or "all" (got "some")');
    const rollback = await cli(['model', 'rollback', 'v1']);
    expect(rollback.status).toBe(1);
    expect(rollback.ctx.err).toContain('v1 is already the current version; nothing to roll back');
  });
});
