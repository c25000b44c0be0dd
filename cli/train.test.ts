import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPngText } from '../gpu-agent/image/png.ts';
import { parseLoraFile } from '../gpu-agent/lora/lora-file.ts';
import { glyphPhotos } from '../gpu-agent/training/testing/glyph-photos.ts';
import { imagineCommand } from './commands/imagine.ts';
import { trainCommand } from './commands/train.ts';
import { FakeCliContext } from './fake-cli-context.ts';
import { runCli } from './run-cli.ts';

// One working directory for the whole file, so the tiny model is built once (.teambooth/models).
let cwd = '';
const PHOTOS = ['photos/a.png', 'photos/b.png', 'photos/c.png'];

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'teambooth-train-cli-'));
  const photos = await glyphPhotos(3);
  await mkdir(join(cwd, 'photos'), { recursive: true });
  await Promise.all(PHOTOS.map((path, i) => writeFile(join(cwd, path), photos[i]!.data)));
});

afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

async function train(args: string[]): Promise<{ status: number; ctx: FakeCliContext }> {
  const ctx = new FakeCliContext(cwd);
  const status = await runCli(['train', ...args], ctx, [trainCommand]);
  return { status, ctx };
}

describe('teambooth train', () => {
  it('trains a LoRA on the tiny model and writes it as kohya safetensors with teambooth metadata', async () => {
    const { status, ctx } = await train([...PHOTOS, '--token', 'zxq', '--class', 'glyph', '--steps', '20', '--lr', '0.003', '--batch-size', '2', '--seed', '5', '--device', 'cpu', '-o', 'out/zxq.safetensors']);
    expect(ctx.err).toContain('step 20/20  loss ');
    expect(status).toBe(0);
    expect(ctx.out).toMatch(/^wrote out\/zxq\.safetensors \(32 layers, rank 4, alpha 4\)\n20 steps of 2 photos at learning rate 0\.003 in .* on cpu, loss \d\.\d{4} -> \d\.\d{4}, seed 5\nprompt: "a photo of zxq glyph"\n$/);
    const parsed = parseLoraFile(new Uint8Array(await readFile(join(cwd, 'out/zxq.safetensors'))));
    expect(parsed.info).toMatchObject({ token: 'zxq', classWord: 'glyph', steps: 20, seed: 5, learningRate: 0.003, batchSize: 2, mergeMethod: 'sum' });
    expect(parsed.info?.baseModelHash).toMatch(/^[0-9a-f]{64}$/);
    expect(parsed.metadata).toMatchObject({ ss_network_dim: '4', ss_network_alpha: '4' });
    expect(parsed.lora.layers.some((layer) => layer.up.some((v) => v !== 0))).toBe(true);
  });

  it('prints one JSON object with --json, and draws a seed when none is given', async () => {
    const { status, ctx } = await train([...PHOTOS, '--token', 'qjx', '--class', 'glyph', '--steps', '3', '--rank', '2', '--alpha', '1', '--device', 'cpu', '--json']);
    expect(status).toBe(0);
    const view = JSON.parse(ctx.out);
    expect(view).toMatchObject({ output: join(cwd, 'qjx-lora.safetensors'), prompt: 'a photo of qjx glyph', steps: 3, batchSize: 8, learningRate: 0.0025, layers: 32, rank: 2, alpha: 1, provider: 'cpu', skippedSteps: 0 });
    expect(Number.isInteger(view.seed)).toBe(true);
    expect((await stat(view.output)).isFile()).toBe(true);
  });

  it('a trained LoRA changes what imagine --lora draws for its token; at scale 0 the image is the base model\'s', async () => {
    const trained = await train([...PHOTOS, '--token', 'vfy', '--class', 'glyph', '--steps', '30', '--lr', '0.003', '--seed', '9', '--device', 'cpu', '-o', 'vfy.safetensors']);
    expect(trained.status).toBe(0);
    const imagine = async (extra: string[], output: string): Promise<Buffer> => {
      const ctx = new FakeCliContext(cwd);
      const status = await runCli(['imagine', 'a photo of vfy glyph', '--seed', '3', '--steps', '8', '--device', 'cpu', '-o', output, ...extra], ctx, [imagineCommand]);
      expect(ctx.err).not.toContain('error');
      expect(status).toBe(0);
      return readFile(join(cwd, output));
    };
    const base = await imagine([], 'base.png');
    const withLora = await imagine(['--lora', 'vfy.safetensors'], 'lora.png');
    const scaledToZero = await imagine(['--lora', 'vfy.safetensors:0'], 'lora0.png');
    expect(withLora.equals(base)).toBe(false);
    expect((await readPngText(withLora))['parameters']).toContain('Model: "teambooth-tiny + vfy.safetensors:1"');
    // Same pixels as the base model's (the file differs only in its parameters text).
    const pixels = (png: Buffer): Promise<Buffer> => sharp(png).raw().toBuffer();
    expect((await pixels(scaledToZero)).equals(await pixels(base))).toBe(true);
    expect((await pixels(withLora)).equals(await pixels(base))).toBe(false);
    const missing = new FakeCliContext(cwd);
    expect(await runCli(['imagine', 'x', '--lora', 'nope.safetensors'], missing, [imagineCommand])).toBe(2);
    expect(missing.err).toContain('--lora: cannot read');
  });

  it('reports bad flags and unusable photos as usage errors', async () => {
    const missingToken = await train([...PHOTOS, '--class', 'dog']);
    expect(missingToken.status).toBe(2);
    expect(missingToken.ctx.err).toContain('--token is required');
    const tooFew = await train([...PHOTOS.slice(0, 2), '--token', 'zxq', '--class', 'dog', '--device', 'cpu']);
    expect(tooFew.status).toBe(2);
    expect(tooFew.ctx.err).toContain('DreamBooth needs 3 to 20 photos of the subject, got 2');
    const missing = await train([...PHOTOS.slice(0, 2), 'photos/nope.png', '--token', 'zxq', '--class', 'dog']);
    expect(missing.status).toBe(2);
    expect(missing.ctx.err).toContain('cannot read photo photos/nope.png: ENOENT');
    const badBatch = await train([...PHOTOS, '--token', 'zxq', '--class', 'dog', '--batch-size', '32']);
    expect(badBatch.status).toBe(2);
    expect(badBatch.ctx.err).toContain('--batch-size must be an integer from 1 to 16 (got "32")');
    const badRate = await train([...PHOTOS, '--token', 'zxq', '--class', 'dog', '--lr', '0']);
    expect(badRate.ctx.err).toContain('--lr must be a number above 0 and at most 1 (got "0")');
    const badToken = await train([...PHOTOS, '--token', 'z q', '--class', 'dog', '--device', 'cpu']);
    expect(badToken.status).toBe(2);
    expect(badToken.ctx.err).toContain('token must be one word');
    const knownWord = await train([...PHOTOS, '--token', 'star', '--class', 'glyph', '--device', 'cpu']);
    expect(knownWord.status).toBe(2);
    expect(knownWord.ctx.err).toContain('the token "star" is a word the base model already knows');
    const severalPieces = await train([...PHOTOS, '--token', 'zxqzxq', '--class', 'glyph', '--device', 'cpu']);
    expect(severalPieces.status).toBe(2);
    expect(severalPieces.ctx.err).toMatch(/the token "zxqzxq" is \d+ tokens for this model/);
  });
});
