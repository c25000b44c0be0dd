import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, relative } from 'node:path';
import { Option } from 'commander';
import { DEFAULTS, GenerationRequestError } from '../../gpu-agent/pipeline/generation-request.ts';
import type { GenerationResult } from '../../gpu-agent/pipeline/text-to-image.ts';
import { SCHEDULER_KINDS } from '../../gpu-agent/schedulers/scheduler.ts';
import type { CommonOptions } from '../command.ts';
import { defineCommand } from '../command.ts';
import { commandLogger, loadCommandConfig, printJson } from '../command-support.ts';
import { EXIT_INTERRUPTED, interruptible, modelCacheRoot, resolveModelDirectory } from './local-model-command.ts';
import { modelWithLora, parseLoraFlag } from './imagine-lora.ts';
import { startImagineProgress } from './imagine-progress.ts';
import { outputPaths, parseImagineFlags, toUsageError } from './imagine-options.ts';
import type { ImagineFlags } from './imagine-options.ts';
import { defineClusterJobFlags, isClusterMode, type ClusterJobFlags } from './cluster-job-flags.ts';
import { imagineOnCluster } from './imagine-cluster.ts';

type ImagineOptions = CommonOptions & ImagineFlags & ClusterJobFlags;

/** The object printed by `teambooth imagine --json`. */
export interface ImagineView {
  /** Absolute paths of the PNG files, in seed order. */
  outputs: string[];
  seed: number;
  seeds: number[];
  provider: string;
  model: string;
  prompt: string;
  negativePrompt: string;
  steps: number;
  guidance: number;
  scheduler: string;
  width: number;
  height: number;
  truncated: boolean;
  warnings: string[];
  timings: GenerationResult['timings'];
}


/**
 * `teambooth imagine PROMPT`: generates images locally with ONNX Runtime (no cluster) and writes
 * them as PNG files with the settings in their `parameters` text chunk. `--model tiny` (the
 * default) is the built-in tiny model, built once into `.teambooth/models`. With `--servers` or
 * `--cluster` the same request runs as a job on the cluster's agents (see imagine-cluster.ts);
 * local stays the default, so `npm start` changes nothing for those who never name a server.
 */
export const imagineCommand = defineCommand<ImagineOptions>({
  path: ['imagine'],
  summary: 'generate images from a prompt on this machine (default: the built-in tiny model), or on the cluster with --servers',
  define(command) {
    command
      .argument('<prompt>', 'what to draw, e.g. "a red star on a blue background"')
      .option('--model <dir|tiny>', 'a diffusers ONNX model directory, or "tiny" for the built-in model', 'tiny')
      .option('--lora <file[:scale]>', 'a LoRA from `teambooth train` (kohya safetensors), merged into the model at SCALE (default 1)')
      .option('--seed <n>', 'seed of the first image, 0..4294967295; image i uses seed+i (default: random, printed)')
      .option('--steps <n>', 'denoising steps, 1..150', String(DEFAULTS.steps))
      .option('--guidance <x>', 'classifier-free guidance scale, 1 (off) to 30', String(DEFAULTS.guidanceScale))
      .option('--negative <text>', 'negative prompt: what to steer away from')
      .addOption(new Option('--scheduler <kind>', "sampler (default: the model's scheduler_config.json)").choices(SCHEDULER_KINDS))
      .option('--size <WxH>', "image size in pixels, e.g. 64x64 (default: the model's native size)")
      .option('--count <n>', 'images to generate, 1..4 (files out-1.png, out-2.png, ...)', String(DEFAULTS.count))
      .addOption(new Option('--device <device>', 'where to run: auto tries CUDA, then the CPU').choices(['auto', 'cuda', 'cpu']).default('auto'))
      .option('-o, --output <file>', 'PNG file to write (default: imagine-SEED.png)')
      .option('--json', 'print one JSON object: { outputs, seed, seeds, provider, steps, ... } (on the cluster: { jobId, outputs, seed, seeds })');
    defineClusterJobFlags(command, ['--model', '--lora', '--device']);
  },
  async execute(input) {
    if (isClusterMode(input.options)) return imagineOnCluster(input);
    const { options, ctx } = input;
    const parsed = parseImagineFlags(input.args[0] ?? '', options);
    const loaded = loadCommandConfig(input);
    const logger = commandLogger(input, loaded, 'client').child({ component: 'imagine' });
    const lora = options.lora === undefined ? undefined : parseLoraFlag(options.lora, ctx.cwd);
    const seed = parsed.seed ?? ctx.randomBytes(4).readUInt32BE(0);
    const paths = outputPaths(ctx.cwd, options.output, seed, parsed.request.count);

    const scope = interruptible(input);
    const progress = startImagineProgress(ctx.stderr);
    try {
      // ONNX Runtime, sharp and the model builder load only when a command needs them, so `--help` stays fast.
      const [{ encodeGeneratedPng }, { loadStableDiffusionModel }, { generate }] = await Promise.all([
        import('../../gpu-agent/pipeline/generated-png.ts'),
        import('../../gpu-agent/pipeline/model-directory.ts'),
        import('../../gpu-agent/pipeline/text-to-image.ts'),
      ]);
      progress.loading(options.model === 'tiny' ? 'teambooth-tiny' : options.model);
      const cacheRoot = modelCacheRoot(ctx.cwd);
      const base = await resolveModelDirectory(options.model, ctx.cwd, logger, scope.signal);
      const directory = lora === undefined ? base : await modelWithLora(base, lora, cacheRoot, scope.signal);
      const model = await loadStableDiffusionModel(directory, { device: options.device, logger, signal: scope.signal });
      let result: GenerationResult;
      try {
        result = await generate(model, { ...parsed.request, seed }, {
          signal: scope.signal,
          onProgress: (step) => progress.step(step.step, step.steps),
          now: () => ctx.now(),
        });
      } finally {
        await model.release();
      }
      progress.stop();
      // The PNG names the LoRA with the model, so the image's parameters say how to draw it again.
      const modelLabel = lora === undefined ? result.model : `${result.model} + ${basename(lora.path)}:${lora.scale}`;
      for (const [i, image] of result.images.entries()) {
        const path = paths[i] ?? '';
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, await encodeGeneratedPng(result, image, modelLabel), { signal: scope.signal });
      }
      for (const warning of result.warnings) ctx.stderr.write(`warning: ${warning}\n`);
      if (options.json === true) printJson(input, toView(result, paths));
      else ctx.stdout.write(renderResult(result, paths, ctx.cwd));
      return 0;
    } catch (error) {
      progress.stop();
      if (error instanceof GenerationRequestError) throw toUsageError(error);
      if (scope.interrupted()) {
        ctx.stderr.write('imagine: interrupted, no image written\n');
        return EXIT_INTERRUPTED;
      }
      throw error;
    } finally {
      scope.dispose();
    }
  },
});

function toView(result: GenerationResult, paths: readonly string[]): ImagineView {
  return {
    outputs: [...paths],
    seed: result.seed,
    seeds: result.seeds,
    provider: result.provider,
    model: result.model,
    prompt: result.prompt,
    negativePrompt: result.negativePrompt,
    steps: result.steps,
    guidance: result.guidanceScale,
    scheduler: result.scheduler,
    width: result.width,
    height: result.height,
    truncated: result.tokens.prompt.truncated || result.tokens.negativePrompt.truncated,
    warnings: result.warnings,
    timings: result.timings,
  };
}

function renderResult(result: GenerationResult, paths: readonly string[], cwd: string): string {
  const lines = result.images.map((image, i) => {
    const path = paths[i] ?? '';
    const shown = relative(cwd, path).startsWith('..') ? path : relative(cwd, path);
    return `wrote ${shown} (seed ${image.seed})`;
  });
  const seconds = (result.timings.totalMs / 1000).toFixed(2);
  lines.push(
    `seed ${result.seed}, provider ${result.provider}, model ${result.model}, ${result.steps} steps ${result.scheduler}, guidance ${result.guidanceScale}, ${result.width}x${result.height}, ${seconds} s`,
  );
  lines.push(`same image again: --seed ${result.seed}${result.images.length > 1 ? ` (or --seed N --count 1 for one of them)` : ''}`);
  return `${lines.join('\n')}\n`;
}
