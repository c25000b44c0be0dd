import type { ImagineParams } from '../../cluster/jobs/job-params.ts';
import { encodeGeneratedPng } from '../pipeline/generated-png.ts';
import { GenerationRequestError } from '../pipeline/generation-request.ts';
import { generate, type GenerationResult } from '../pipeline/text-to-image.ts';
import type { SchedulerKind } from '../schedulers/scheduler.ts';
import { JobInputError } from './agent-errors.ts';
import type { JobOutput, RunnerContext } from './job-runner.ts';

/**
 * Runs an imagine job: the same text-to-image pipeline and PNG (with the generation parameters in
 * its `parameters` text chunk) as `teambooth imagine`, so an image from the cluster and one made
 * locally with the same settings are the same file. Outputs `image-0.png` ... `image-{count-1}.png`,
 * image i drawn from seed + i.
 */

/** The job's scheduler names (cluster/jobs/job-params.ts) as the pipeline's. */
const SCHEDULERS: Readonly<Record<NonNullable<ImagineParams['scheduler']>, SchedulerKind>> = { ddim: 'ddim', euler: 'euler', dpm: 'dpmpp-2m' };

/** Generates the images of an imagine job. Throws {@link JobInputError} for a request the model cannot serve. */
export async function runImagineJob(params: ImagineParams & { seed: number }, context: RunnerContext): Promise<JobOutput[]> {
  if (params.lora !== undefined) {
    throw new JobInputError(`imagine jobs with a LoRA (of job ${params.lora.jobId}) are not supported by GPU agents yet; submit the job without one`);
  }
  const { model } = context.loaded;
  let result: GenerationResult;
  try {
    result = await generate(
      model,
      {
        prompt: params.prompt,
        ...(params.negativePrompt === undefined ? {} : { negativePrompt: params.negativePrompt }),
        seed: params.seed,
        steps: params.steps,
        guidanceScale: params.guidanceScale,
        width: params.width,
        height: params.height,
        count: params.count,
        ...(params.scheduler === undefined ? {} : { scheduler: SCHEDULERS[params.scheduler] }),
      },
      { signal: context.signal, now: context.now, onProgress: ({ step, steps }) => context.onProgress({ step, total: steps, phase: 'denoising' }) },
    );
  } catch (error) {
    if (error instanceof GenerationRequestError) throw new JobInputError(`model ${model.name} cannot run this job: ${error.message}`, { cause: error });
    throw error;
  }
  const outputs: JobOutput[] = [];
  for (const [i, image] of result.images.entries()) {
    outputs.push({ name: `image-${i}.png`, bytes: await encodeGeneratedPng(result, image), contentType: 'image/png' });
  }
  return outputs;
}
