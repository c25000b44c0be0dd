import { mkdir } from 'node:fs/promises';
import type { TrainParams } from '../../cluster/jobs/job-params.ts';
import { serializeLoraFile } from '../lora/lora-file.ts';
import { DreamBoothRequestError } from '../training/dreambooth-request.ts';
import { readTrainDefaults } from '../training/train-defaults.ts';
import { InstanceImageError, type InstanceImageFile } from '../training/instance-images.ts';
import { trainDreamBoothLora, type DreamBoothResult } from '../training/train-dreambooth-lora.ts';
import { JobInputError } from './agent-errors.ts';
import type { JobOutput, RunnerContext } from './job-runner.ts';

/**
 * Runs a train job: DreamBooth-LoRA on the job's photos, written exactly as `teambooth train`
 * writes it (kohya safetensors with the teambooth metadata), so the cluster validates and merges
 * the same file a member could make locally. Settings the job leaves out take the model's own
 * defaults (its `teambooth.json`), as `teambooth train` does. With an orthogonal slot, the
 * down-projections are that slot of the cluster's basis and only `up` trains. Outputs `lora.safetensors`.
 */
export async function runTrainJob(params: TrainParams & { seed: number }, context: RunnerContext): Promise<JobOutput[]> {
  const { loaded, signal } = context;
  const images: InstanceImageFile[] = params.photos.map((name) => {
    const data = context.inputs.get(name);
    if (data === undefined) throw new Error(`the claim brought no URL for photo ${name}`);
    return { name, data };
  });
  const defaults = await readTrainDefaults(loaded.model.directory, signal);
  const steps = params.steps ?? defaults.steps;
  const learningRate = params.learningRate ?? defaults.learningRate;
  const rank = params.rank ?? defaults.rank;
  const baseModelHash = await loaded.baseModelSha256(signal);
  await mkdir(context.workDir, { recursive: true });
  let result: DreamBoothResult;
  try {
    result = await trainDreamBoothLora(
      loaded.model,
      {
        images,
        token: params.token,
        classWord: params.classWord,
        steps,
        learningRate,
        rank,
        alpha: rank,
        batchSize: defaults.batchSize,
        seed: params.seed,
        flip: false,
        ...(context.basis === null ? {} : { orthogonalSlot: { basisSeed: context.basis.seed, slot: context.basis.slot } }),
      },
      {
        signal,
        logger: context.logger,
        now: context.now,
        workDir: context.workDir,
        onProgress: (progress) => context.onProgress({ step: progress.step, total: progress.steps, loss: progress.loss, phase: 'training' }),
      },
    );
  } catch (error) {
    if (error instanceof InstanceImageError || error instanceof DreamBoothRequestError) throw new JobInputError(error.message, { cause: error });
    throw error;
  }
  const bytes = serializeLoraFile(result.lora, {
    token: params.token,
    classWord: params.classWord,
    baseModelHash,
    steps,
    finalLoss: result.finalLoss,
    seed: params.seed,
    learningRate,
    batchSize: defaults.batchSize,
    mergeMethod: context.basis === null ? 'sum' : 'orthogonal',
  });
  return [{ name: 'lora.safetensors', bytes, contentType: 'application/octet-stream' }];
}
