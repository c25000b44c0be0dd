import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { Option } from 'commander';
import type { DreamBoothRequest } from '../../gpu-agent/training/dreambooth-request.ts';
import type { InstanceImageFile } from '../../gpu-agent/training/instance-images.ts';
import type { DreamBoothResult } from '../../gpu-agent/training/train-dreambooth-lora.ts';
import type { CommonOptions } from '../command.ts';
import { defineCommand } from '../command.ts';
import { commandLogger, loadCommandConfig, printJson } from '../command-support.ts';
import { EXIT_INTERRUPTED, interruptible, resolveModelDirectory } from './local-model-command.ts';
import { UsageError } from '../usage-error.ts';
import { parseTrainFlags, TRAIN_DEFAULTS, type ParsedTrain, type TrainFlags } from './train-options.ts';
import { defineClusterJobFlags, isClusterMode, type ClusterJobFlags } from './cluster-job-flags.ts';
import { trainOnCluster } from './train-cluster.ts';
import { readTrainDefaults } from '../../gpu-agent/training/train-defaults.ts';
import { readPhotos, withModelDefaults, withTrainDefaults, type TrainNumberFlags } from './train-input.ts';

type TrainOptions = CommonOptions & Omit<TrainFlags, keyof TrainNumberFlags> & TrainNumberFlags & ClusterJobFlags;

/** The object printed by `teambooth train --json`. */
export interface TrainView {
  output: string;
  prompt: string;
  seed: number;
  steps: number;
  /** Photos per step. */
  batchSize: number;
  learningRate: number;
  layers: number;
  rank: number;
  alpha: number;
  provider: string;
  baseModelSha256: string;
  firstLoss: number;
  finalLoss: number;
  skippedSteps: number;
  timings: DreamBoothResult['timings'];
}


/**
 * `teambooth train PHOTO...`: DreamBooth-LoRA on this machine with ONNX Runtime (no cluster).
 * Writes the LoRA as kohya-style safetensors with teambooth metadata (token, class, base model
 * hash, steps, final loss, seed). `--model tiny` (the default) is the built-in tiny model. With
 * `--servers` or `--cluster` it runs as a train job on the cluster's agents (train-cluster.ts).
 * `--steps`, `--lr` and `--rank` have no commander defaults, so cluster mode can tell the flags
 * given from the defaults it leaves to the agent; the local mode fills in the same defaults.
 */
export const trainCommand = defineCommand<TrainOptions>({
  path: ['train'],
  summary: 'teach the model a subject from 3 to 20 photos (DreamBooth-LoRA on this machine, or on the cluster with --servers)',
  define(command) {
    command
      .argument('<photos...>', 'the photos of the subject (JPEG, PNG or WebP)')
      .option('--token <word>', 'the rare word that will name the subject, e.g. zxq')
      .option('--class <word>', 'what the subject is, e.g. dog')
      .option('--model <dir|tiny>', 'a diffusers ONNX model directory, or "tiny" for the built-in model', 'tiny')
      .option('--steps <n>', `optimizer steps (default: the model's teambooth.json, else ${TRAIN_DEFAULTS.steps})`)
      .option('--lr <x>', `AdamW learning rate (default: the model's, else ${TRAIN_DEFAULTS.learningRate})`)
      .option('--rank <n>', `LoRA rank (default: the model's, else ${TRAIN_DEFAULTS.rank})`)
      .option('--batch-size <n>', `subject photos per optimizer step (default: the model's, else ${TRAIN_DEFAULTS.batchSize})`)
      .option('--alpha <x>', 'LoRA alpha; the branch is scaled by alpha/rank (default: the rank)')
      .option('--seed <n>', 'seed of the LoRA init, timesteps and noise (default: random, printed)')
      .option('--prior-weight <x>', 'prior preservation: weight of generated "a photo of CLASS" images in the loss (off by default)')
      .option('--class-images <n>', 'class images to generate for prior preservation', String(TRAIN_DEFAULTS.classImages))
      .option('--flip', 'also train on the photos mirrored left-right (not for logos, text or glyphs)')
      .addOption(new Option('--device <device>', 'where to run: auto tries CUDA, then the CPU').choices(['auto', 'cuda', 'cpu']).default('auto'))
      .option('-o, --output <file>', 'LoRA file to write (default: TOKEN-lora.safetensors)')
      .option('--json', 'print one JSON object: { output, prompt, seed, finalLoss, ... } (on the cluster: { jobId, output, prompt, seed, finalLoss })');
    defineClusterJobFlags(command, ['--model', '--batch-size', '--alpha', '--prior-weight', '--class-images', '--flip', '--device']);
  },
  async execute(input) {
    if (isClusterMode(input.options)) return trainOnCluster(input);
    const { options, ctx } = input;
    const paths = input.args;
    const checked = parseTrainFlags(paths, withTrainDefaults(options), ctx.cwd);
    const photos = await readPhotos(paths, ctx.cwd, input.signal);
    const loaded = loadCommandConfig(input);
    const logger = commandLogger(input, loaded, 'client').child({ component: 'train' });
    const seed = checked.seed ?? ctx.randomBytes(4).readUInt32BE(0);

    const scope = interruptible(input);
    try {
      // ONNX Runtime, sharp and the model builder load only when the command runs, so `--help` stays fast.
      const [{ loadStableDiffusionModel }, training, { serializeLoraFile }, { hashUnetFiles }] = await Promise.all([
        import('../../gpu-agent/pipeline/model-directory.ts'),
        import('../../gpu-agent/training/train-dreambooth-lora.ts'),
        import('../../gpu-agent/lora/lora-file.ts'),
        import('../../gpu-agent/training/hash-unet-files.ts'),
      ]);
      const directory = await resolveModelDirectory(options.model, ctx.cwd, logger, scope.signal);
      const parsed = withModelDefaults(checked, options, await readTrainDefaults(directory, scope.signal));
      const baseModelSha256 = await hashUnetFiles(directory, { signal: scope.signal });
      const model = await loadStableDiffusionModel(directory, { device: options.device, logger, signal: scope.signal });
      let result: DreamBoothResult;
      try {
        const every = Math.max(1, Math.floor(parsed.steps / 10));
        result = await training.trainDreamBoothLora(model, toRequest(parsed, photos, seed), {
          signal: scope.signal,
          logger,
          now: () => ctx.now(),
          onProgress: (p) => {
            if (options.json !== true && (p.step % every === 0 || p.step === p.steps)) ctx.stderr.write(`step ${p.step}/${p.steps}  loss ${p.loss.toFixed(4)}\n`);
          },
        });
      } finally {
        await model.release();
      }
      const file = serializeLoraFile(result.lora, {
        token: parsed.token,
        classWord: parsed.classWord,
        baseModelHash: baseModelSha256,
        steps: parsed.steps,
        finalLoss: result.finalLoss,
        seed,
        learningRate: parsed.learningRate,
        batchSize: parsed.batchSize,
        mergeMethod: 'sum',
      });
      await mkdir(dirname(parsed.output), { recursive: true });
      const partial = `${parsed.output}.partial`;
      await writeFile(partial, file, { signal: scope.signal });
      await rename(partial, parsed.output);
      const view = toView(parsed, result, seed, baseModelSha256);
      if (options.json === true) printJson(input, view);
      else ctx.stdout.write(render(view, ctx.cwd));
      return 0;
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      if (name === 'DreamBoothRequestError' || name === 'InstanceImageError') throw new UsageError((error as Error).message);
      if (scope.interrupted()) {
        ctx.stderr.write('train: interrupted, no LoRA written\n');
        return EXIT_INTERRUPTED;
      }
      throw error;
    } finally {
      scope.dispose();
    }
  },
});

function toRequest(parsed: ParsedTrain, images: InstanceImageFile[], seed: number): DreamBoothRequest {
  return {
    images,
    token: parsed.token,
    classWord: parsed.classWord,
    steps: parsed.steps,
    learningRate: parsed.learningRate,
    rank: parsed.rank,
    alpha: parsed.alpha,
    batchSize: parsed.batchSize,
    seed,
    flip: parsed.flip,
    ...(parsed.prior === undefined ? {} : { priorPreservation: parsed.prior }),
  };
}

function toView(parsed: ParsedTrain, result: DreamBoothResult, seed: number, baseModelSha256: string): TrainView {
  return {
    output: parsed.output,
    prompt: result.prompt,
    seed,
    steps: parsed.steps,
    batchSize: parsed.batchSize,
    learningRate: parsed.learningRate,
    layers: result.lora.layers.length,
    rank: parsed.rank,
    alpha: parsed.alpha,
    provider: result.provider,
    baseModelSha256,
    firstLoss: result.losses[0] ?? Number.NaN,
    finalLoss: result.finalLoss,
    skippedSteps: result.skippedSteps,
    timings: result.timings,
  };
}

function render(view: TrainView, cwd: string): string {
  const shown = relative(cwd, view.output).startsWith('..') ? view.output : relative(cwd, view.output);
  const seconds = (view.timings.trainMs / 1000).toFixed(1);
  return [
    `wrote ${shown} (${view.layers} layers, rank ${view.rank}, alpha ${view.alpha})`,
    `${view.steps} steps of ${view.batchSize} photo${view.batchSize === 1 ? '' : 's'} at learning rate ${view.learningRate} in ${seconds} s (${view.timings.stepsPerSecond.toFixed(1)} steps/s) on ${view.provider}, loss ${view.firstLoss.toFixed(4)} -> ${view.finalLoss.toFixed(4)}, seed ${view.seed}`,
    `prompt: "${view.prompt}"`,
    '',
  ].join('\n');
}
