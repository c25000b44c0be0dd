import type { Job } from '../../cluster/state/types.ts';
import { instancePrompt } from '../../gpu-agent/training/dreambooth-request.ts';
import type { InstanceImageFile } from '../../gpu-agent/training/instance-images.ts';
import type { CommandInput, CommonOptions } from '../command.ts';
import { loadCommandConfig, printJson, serverOverrides } from '../command-support.ts';
import type { ClusterClientApi } from '../context.ts';
import { refuseLocalOnly, requesterOf, type ClusterJobFlags } from './cluster-job-flags.ts';
import { runClusterJob } from './cluster-job-run.ts';
import { describeRun } from '../../cluster/client/job-wording.ts';
import { shownPath } from './shown-path.ts';
import { readPhotos, withTrainDefaults, type TrainNumberFlags } from './train-input.ts';
import { parseTrainFlags, type ParsedTrain, type TrainFlags } from './train-options.ts';

type TrainClusterOptions = CommonOptions & Omit<TrainFlags, keyof TrainNumberFlags> & TrainNumberFlags & ClusterJobFlags;

/** The object printed by `teambooth train --servers ... --json`. */
export interface ClusterTrainView {
  jobId: string;
  /** Absolute path of the LoRA file. */
  output: string;
  prompt: string;
  seed: number;
  /** The loss the agent last reported; null when it reported none. */
  finalLoss: number | null;
  /** The merge job that folds the LoRA into the shared model; null when the cluster queued none. */
  mergeJobId: string | null;
}

/** The name of a train job's one output (cluster/jobs/job-params.ts). */
const LORA_OUTPUT = 'lora.safetensors';

/**
 * Cluster mode of `teambooth train`: uploads the photos (the cluster checks them before any job
 * exists), submits a train job, follows it, and downloads the LoRA to where the local mode would
 * write it. `--steps`, `--lr` and `--rank` go into the job only when given, so the agent's model
 * picks its own defaults otherwise.
 */
export async function trainOnCluster(input: CommandInput<TrainClusterOptions>): Promise<number> {
  const { options, ctx } = input;
  refuseLocalOnly([
    ['--model', options.model !== 'tiny'],
    ['--batch-size', options.batchSize !== undefined],
    ['--alpha', options.alpha !== undefined],
    ['--prior-weight', options.priorWeight !== undefined],
    ['--flip', options.flip === true],
    ['--device', options.device !== 'auto'],
  ]);
  const parsed = parseTrainFlags(input.args, withTrainDefaults(options), ctx.cwd);
  const requester = requesterOf(options, ctx.env);
  const photos = await readPhotos(input.args, ctx.cwd, input.signal);
  const loaded = loadCommandConfig(input, serverOverrides(options.servers));
  const outcome = await runClusterJob(input, loaded, {
    kind: 'train',
    requester,
    params: (client, signal) => toJobParams(client, photos, parsed, options, signal),
    targets: () => new Map([[LORA_OUTPUT, parsed.output]]),
    label: 'train',
    quiet: options.json === true,
  });
  if (!outcome.ok) return outcome.status;
  const view = toView(outcome.job, parsed);
  if (options.json === true) printJson(input, view);
  else ctx.stdout.write(render(view, outcome.job, outcome.agentId, ctx.cwd));
  return 0;
}

/** Uploads the photos and builds the job's params from what the cluster stored. */
async function toJobParams(
  client: ClusterClientApi,
  photos: InstanceImageFile[],
  parsed: ParsedTrain,
  given: TrainNumberFlags,
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  const upload = await client.jobs('UploadPhotos', { photos }, { mode: 'any', auth: 'admin', signal });
  return {
    uploadId: upload.uploadId,
    photos: upload.names,
    token: parsed.token,
    classWord: parsed.classWord,
    ...(given.steps === undefined ? {} : { steps: parsed.steps }),
    ...(given.lr === undefined ? {} : { learningRate: parsed.learningRate }),
    ...(given.rank === undefined ? {} : { rank: parsed.rank }),
    ...(parsed.seed === undefined ? {} : { seed: parsed.seed }),
  };
}

function toView(job: Job, parsed: ParsedTrain): ClusterTrainView {
  return {
    jobId: job.id,
    output: parsed.output,
    prompt: instancePrompt(parsed),
    // The node draws a seed when none is given and stores it in the job.
    seed: Number(job.params['seed']),
    finalLoss: job.progress?.loss ?? null,
    mergeJobId: typeof job.result?.mergeJobId === 'string' ? job.result.mergeJobId : null,
  };
}

function render(view: ClusterTrainView, job: Job, agentId: string | null, cwd: string): string {
  const output = shownPath(view.output, cwd);
  const steps = job.progress === null ? '' : `${job.progress.total} steps, `;
  const loss = view.finalLoss === null ? '' : `final loss ${view.finalLoss.toFixed(4)}, `;
  return [
    `wrote ${output} (job ${job.id}: ${describeRun(job, agentId)})`,
    `${steps}${loss}seed ${view.seed}, prompt: "${view.prompt}"`,
    `try it here: teambooth imagine "${view.prompt}" --lora ${output}`,
    ...(view.mergeJobId === null
      ? []
      : [`merge job ${view.mergeJobId} folds it into the shared model; once it succeeds (teambooth jobs show ${view.mergeJobId}), every imagine job draws "${view.prompt}"`]),
    '',
  ].join('\n');
}
