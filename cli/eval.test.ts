import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalCommand } from './commands/eval.ts';
import type { EvalView } from './commands/eval.ts';
import { trainCommand } from './commands/train.ts';
import { FakeCliContext } from './fake-cli-context.ts';
import { runCli } from './run-cli.ts';

const SMILEY = fileURLToPath(new URL('../test/fixtures/subjects/smiley/', import.meta.url));

// One working directory for the whole file, so the tiny model is built once (.teambooth/models).
let cwd = '';
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'teambooth-eval-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ status: number; ctx: FakeCliContext }> {
  const ctx = new FakeCliContext(cwd);
  const status = await runCli(args, ctx, [evalCommand, trainCommand]);
  return { status, ctx };
}

/** The prompt-fidelity figures and their images at one seed: 48 prompts, 16 of each size. */
const PROMPT_FIGURE_IMAGES = { promptFidelity: 48, backgroundAccuracy: 48, colourAccuracy: 48, shapeAccuracy: 48, shapeAccuracySmall: 16, shapeAccuracyMedium: 16, shapeAccuracyLarge: 16 };

describe('teambooth eval', () => {
  it('measures prompt fidelity of the tiny model over the 48 base prompts and prints one JSON object, each figure with its image count', async () => {
    const { status, ctx } = await run(['eval', '--model', 'tiny', '--seeds', '1', '--steps', '4', '--device', 'cpu', '--json']);
    expect(ctx.err).toBe('');
    expect(status).toBe(0);
    const view = JSON.parse(ctx.out) as EvalView;
    expect(view).toMatchObject({ model: 'teambooth-tiny', provider: 'cpu', seeds: 1, steps: 4, guidance: 7.5 });
    expect(view.lora).toBeUndefined();
    expect(view.subject).toBeUndefined();
    expect(Object.fromEntries(Object.entries(view.figures).map(([name, figure]) => [name, figure.images]))).toEqual(PROMPT_FIGURE_IMAGES);
    for (const figure of Object.values(view.figures)) {
      expect(Object.keys(figure).sort()).toEqual(['images', 'value']);
      expect(figure.value).toBeGreaterThanOrEqual(0);
      expect(figure.value).toBeLessThanOrEqual(1);
    }
  });

  it('prints a table of the figures and the settings without --json', async () => {
    const { status, ctx } = await run(['eval', '--seeds', '1', '--steps', '1', '--guidance', '1', '--device', 'cpu']);
    expect(status).toBe(0);
    expect(ctx.out).toMatch(/^model teambooth-tiny on cpu; seeds 0\.\.0, 1 steps, guidance 1\nfigure +value +images\nprompt fidelity +\d+\.\d % +48\n  background colour/);
    expect(ctx.err).toBe('measured prompt-fidelity (48 images)\n');
  });

  it('adds subject and context fidelity with --subject and --token, and base fidelity and drift with --lora', async () => {
    const photos = ['photo-1.png', 'photo-2.png', 'photo-3.png'].map((file) => join(SMILEY, file));
    const trained = await run(['train', ...photos, '--token', 'zxq', '--class', 'symbol', '--steps', '2', '--seed', '1', '--device', 'cpu', '-o', 'zxq.safetensors']);
    expect(trained.status).toBe(0);
    const { status, ctx } = await run(['eval', '--lora', 'zxq.safetensors:0.5', '--subject', SMILEY, '--token', 'zxq', '--seeds', '1', '--steps', '2', '--device', 'cpu', '--json']);
    expect(ctx.err).toBe('');
    expect(status).toBe(0);
    const view = JSON.parse(ctx.out) as EvalView;
    expect(view.lora).toEqual({ path: join(cwd, 'zxq.safetensors'), scale: 0.5 });
    expect(view.subject).toEqual({ directory: SMILEY.replace(/\/$/, ''), token: 'zxq', classNoun: 'symbol', prompt: 'a photo of zxq symbol', backgrounds: ['green', 'blue', 'white', 'red'] });
    const images = Object.fromEntries(Object.entries(view.figures).map(([name, figure]) => [name, figure.images]));
    expect(images).toEqual({
      ...PROMPT_FIGURE_IMAGES,
      basePromptFidelity: 48,
      baseDrift: 96,
      subjectFidelity: 1,
      baseSubjectFidelity: 1,
      contextFidelity: 4,
      contextSubjectFidelity: 4,
    });
    expect(view.figures.baseDrift!.value).toBeCloseTo(view.figures.promptFidelity.value - view.figures.basePromptFidelity!.value, 12);
  });

  it('refuses bad input with exit 2 and a message that names the flag', async () => {
    const plain = join(cwd, 'plain-photos');
    await mkdir(plain, { recursive: true });
    await copyFile(join(SMILEY, 'photo-1.png'), join(plain, 'a.png'));
    await mkdir(join(cwd, 'empty'), { recursive: true });
    const cases: Array<[string[], string]> = [
      [['--seeds', '0'], 'error: --seeds must be an integer from 1 to 100 (got "0")'],
      [['--seeds', 'two'], 'error: --seeds must be an integer from 1 to 100 (got "two")'],
      [['--steps', '151'], 'error: --steps must be an integer from 1 to 150 (got "151")'],
      [['--guidance', '0.5'], 'error: --guidance must be a number from 1 (no guidance) to 30 (got "0.5")'],
      [['--token', 'zxq'], 'error: --token needs --subject'],
      [['--subject', SMILEY], 'error: --subject needs --token'],
      [['--subject', SMILEY, '--token', 'z q'], 'error: --token must be one word of 2 to 32 letters or digits'],
      [['--subject', 'no-such-folder', '--token', 'zxq'], `error: --subject: cannot use ${join(cwd, 'no-such-folder')} as a subject folder (ENOENT)`],
      [['--subject', 'empty', '--token', 'zxq'], 'holds no subject.json and no PNG, JPEG or WebP photo'],
      [['--subject', 'plain-photos', '--token', 'zxq', '--device', 'cpu'], 'error: --class is required'],
      [['--lora', 'nope.safetensors', '--device', 'cpu'], 'error: --lora: cannot read'],
      [['--device', 'tpu'], "error: option '--device <device>' argument 'tpu' is invalid. Allowed choices are auto, cuda, cpu."],
    ];
    for (const [flags, message] of cases) {
      const { status, ctx } = await run(['eval', ...flags]);
      expect(ctx.err, flags.join(' ')).toContain(message);
      expect(status, flags.join(' ')).toBe(2);
    }
  });
});
