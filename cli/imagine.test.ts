import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGenerationParameters } from '../gpu-agent/image/generation-parameters.ts';
import { readPngText } from '../gpu-agent/image/png.ts';
import { outputPaths } from './commands/imagine-options.ts';
import { FakeCliContext } from './fake-cli-context.ts';
import { runCli } from './run-cli.ts';

// One working directory for the whole file, so the tiny model is built once (.teambooth/models).
let cwd = '';
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'teambooth-imagine-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

const PROMPT = 'a red star on a blue background';

async function imagine(args: string[]): Promise<{ status: number; ctx: FakeCliContext }> {
  const ctx = new FakeCliContext(cwd);
  const status = await runCli(['imagine', ...args], ctx);
  return { status, ctx };
}

describe('teambooth imagine', () => {
  it('writes a 64x64 PNG with the tiny model, its settings in the parameters chunk, and prints path, seed and provider', async () => {
    const { status, ctx } = await imagine([PROMPT, '--model', 'tiny', '--seed', '42', '--steps', '4', '--device', 'cpu', '-o', 'out/star.png']);
    expect(ctx.err).toBe('');
    expect(status).toBe(0);
    const png = await readFile(join(cwd, 'out/star.png'));
    const { info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(info).toMatchObject({ width: 64, height: 64, channels: 3 });
    expect(parseGenerationParameters(readPngText(png)['parameters'] ?? '')).toEqual({
      prompt: PROMPT,
      steps: 4,
      scheduler: 'ddim',
      guidanceScale: 7.5,
      seed: 42,
      width: 64,
      height: 64,
      model: 'teambooth-tiny',
    });
    expect(ctx.out).toMatch(/^wrote out\/star\.png \(seed 42\)\nseed 42, provider cpu, model teambooth-tiny, 4 steps ddim, guidance 7\.5, 64x64, /);
    expect(ctx.out).toContain('same image again: --seed 42');
  });

  it('prints one JSON object with --json, and writes out-1.png, out-2.png for --count 2', async () => {
    const { status, ctx } = await imagine([PROMPT, '--seed', '7', '--steps', '3', '--count', '2', '--negative', 'green', '--scheduler', 'euler', '--size', '64x64', '--device', 'cpu', '-o', 'multi.png', '--json']);
    expect(status).toBe(0);
    const view = JSON.parse(ctx.out);
    expect(view).toMatchObject({
      outputs: [join(cwd, 'multi-1.png'), join(cwd, 'multi-2.png')],
      seed: 7,
      seeds: [7, 8],
      provider: 'cpu',
      model: 'teambooth-tiny',
      prompt: PROMPT,
      negativePrompt: 'green',
      steps: 3,
      guidance: 7.5,
      scheduler: 'euler',
      width: 64,
      height: 64,
      truncated: false,
      warnings: [],
    });
    const second = readPngText(await readFile(join(cwd, 'multi-2.png')));
    expect(parseGenerationParameters(second['parameters'] ?? '')).toMatchObject({ seed: 8, negativePrompt: 'green', scheduler: 'euler' });
  });

  it('gives identical files for two runs with the same seed', async () => {
    await imagine([PROMPT, '--seed', '5', '--steps', '3', '--device', 'cpu', '-o', 'a.png']);
    await imagine([PROMPT, '--seed', '5', '--steps', '3', '--device', 'cpu', '-o', 'b.png']);
    const [a, b] = await Promise.all([readFile(join(cwd, 'a.png')), readFile(join(cwd, 'b.png'))]);
    expect(a.equals(b)).toBe(true);
  });

  it('draws a seed from the context when none is given and names the default file after it', async () => {
    const { status, ctx } = await imagine([PROMPT, '--steps', '1', '--device', 'cpu', '--json']);
    expect(status).toBe(0);
    const view = JSON.parse(ctx.out) as { seed: number; outputs: string[] };
    const expected = new FakeCliContext(cwd).randomBytes(4).readUInt32BE(0);
    expect(view.seed).toBe(expected);
    expect(view.outputs).toEqual([join(cwd, `imagine-${expected}.png`)]);
    expect((await stat(view.outputs[0]!)).size).toBeGreaterThan(0);
  });

  it('refuses bad flags with exit 2, naming the flag and what is allowed', async () => {
    const cases: Array<[string[], string]> = [
      [['--steps', '0'], 'error: --steps must be an integer from 1 to 150 (got "0")'],
      [['--steps', 'ten'], 'error: --steps must be an integer from 1 to 150 (got "ten")'],
      [['--guidance', '50'], 'error: --guidance must be a number from 1 (no guidance) to 30 (got "50")'],
      [['--count', '5'], 'error: --count must be an integer from 1 to 4 (got "5")'],
      [['--seed', '-1'], 'error: --seed must be an integer from 0 to 4294967295 (got "-1")'],
      [['--size', 'big'], 'error: --size must be WIDTHxHEIGHT in pixels'],
      [['--size', '128x128', '--device', 'cpu'], 'error: --size width must be 64: this model was exported for one image size only (got 128)'],
      [['--scheduler', 'lms'], "error: option '--scheduler <kind>' argument 'lms' is invalid. Allowed choices are ddim, euler, dpmpp-2m."],
      [['--device', 'tpu'], "error: option '--device <device>' argument 'tpu' is invalid. Allowed choices are auto, cuda, cpu."],
    ];
    for (const [flags, message] of cases) {
      const { status, ctx } = await imagine([PROMPT, ...flags]);
      expect(status, flags.join(' ')).toBe(2);
      expect(ctx.err).toContain(message);
    }
    const empty = await imagine(['  ']);
    expect(empty.status).toBe(2);
    expect(empty.ctx.err).toContain('error: the prompt must not be empty');
  });

  it('stops on Ctrl-C between steps: exit 130, no file written', async () => {
    /** Raises SIGINT on the 4th clock read, i.e. inside the denoising loop. */
    class InterruptingContext extends FakeCliContext {
      reads = 0;
      override now(): number {
        if (++this.reads === 4) this.raise('SIGINT');
        return super.now();
      }
    }
    const ctx = new InterruptingContext(cwd);
    const status = await runCli(['imagine', PROMPT, '--seed', '1', '--steps', '10', '--device', 'cpu', '-o', 'interrupted.png'], ctx);
    expect(status).toBe(130);
    expect(ctx.err).toBe('imagine: interrupted, no image written\n');
    await expect(stat(join(cwd, 'interrupted.png'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('fails (exit 1) naming the file when --model is not a model directory', async () => {
    const { status, ctx } = await imagine([PROMPT, '--model', 'no-such-model', '--device', 'cpu']);
    expect(status).toBe(1);
    expect(ctx.err).toMatch(/^error: model directory .*no-such-model does not exist or is not a directory/);
  });
});

describe('outputPaths', () => {
  it('numbers several images before the extension and defaults to imagine-SEED.png', () => {
    expect(outputPaths('/w', 'out.png', 1, 1)).toEqual(['/w/out.png']);
    expect(outputPaths('/w', 'pics/out.png', 1, 3)).toEqual(['/w/pics/out-1.png', '/w/pics/out-2.png', '/w/pics/out-3.png']);
    expect(outputPaths('/w', 'out', 1, 1)).toEqual(['/w/out.png']);
    expect(outputPaths('/w', undefined, 99, 2)).toEqual(['/w/imagine-99-1.png', '/w/imagine-99-2.png']);
  });
});
