import type { ImagineParams } from '../../cluster/jobs/job-params.ts';
import type { Job } from '../../cluster/state/types.ts';
import type { SchedulerKind } from '../../gpu-agent/schedulers/scheduler.ts';
import type { CommandInput, CommonOptions } from '../command.ts';
import { loadCommandConfig, printJson, serverOverrides } from '../command-support.ts';
import { refuseLocalOnly, requesterOf, type ClusterJobFlags } from './cluster-job-flags.ts';
import { runClusterJob } from './cluster-job-run.ts';
import { describeRun } from '../../cluster/client/job-wording.ts';
import { shownPath } from './shown-path.ts';
import { outputPaths, parseImagineFlags, type ImagineFlags, type ParsedImagine } from './imagine-options.ts';

type ImagineClusterOptions = CommonOptions & ImagineFlags & ClusterJobFlags;

/** The object printed by `teambooth imagine --servers ... --json`. */
export interface ClusterImagineView {
  jobId: string;
  /** Absolute paths of the PNG files, in seed order. */
  outputs: string[];
  seed: number;
  seeds: number[];
}

/** The pipeline's scheduler names as an imagine job names them (cluster/jobs/job-params.ts). */
const JOB_SCHEDULERS: Readonly<Record<SchedulerKind, NonNullable<ImagineParams['scheduler']>>> = { ddim: 'ddim', euler: 'euler', 'dpmpp-2m': 'dpm' };

/**
 * Cluster mode of `teambooth imagine`: the same flags make an imagine job for the cluster's
 * agents, and its PNGs land where the local mode would write them. The seed is drawn here when
 * not given, so the default file name and "same image again" work as they do locally.
 */
export async function imagineOnCluster(input: CommandInput<ImagineClusterOptions>): Promise<number> {
  const { options, ctx } = input;
  refuseLocalOnly([
    ['--lora', options.lora !== undefined],
    ['--model', options.model !== 'tiny'],
    ['--device', options.device !== 'auto'],
  ]);
  const parsed = parseImagineFlags(input.args[0] ?? '', options);
  const requester = requesterOf(options, ctx.env);
  const seed = parsed.seed ?? ctx.randomBytes(4).readUInt32BE(0);
  const paths = outputPaths(ctx.cwd, options.output, seed, parsed.request.count);
  const loaded = loadCommandConfig(input, serverOverrides(options.servers));
  const outcome = await runClusterJob(input, loaded, {
    kind: 'imagine',
    requester,
    params: async () => toJobParams(parsed, seed),
    targets: () => new Map(paths.map((path, i) => [`image-${i}.png`, path])),
    label: 'imagine',
    quiet: options.json === true,
  });
  if (!outcome.ok) return outcome.status;
  const seeds = paths.map((_, i) => seed + i);
  if (options.json === true) printJson(input, { jobId: outcome.job.id, outputs: paths, seed, seeds } satisfies ClusterImagineView);
  else ctx.stdout.write(render(outcome.job, outcome.agentId, paths, seeds, ctx.cwd));
  return 0;
}

function toJobParams(parsed: ParsedImagine, seed: number): Record<string, unknown> {
  const { scheduler, ...request } = parsed.request;
  return { ...request, seed, ...(scheduler === undefined ? {} : { scheduler: JOB_SCHEDULERS[scheduler] }) };
}

function render(job: Job, agentId: string | null, paths: readonly string[], seeds: readonly number[], cwd: string): string {
  const lines = paths.map((path, i) => `wrote ${shownPath(path, cwd)} (seed ${seeds[i]})`);
  lines.push(`job ${job.id}: ${describeRun(job, agentId)}`);
  lines.push(`same image again: --seed ${seeds[0]}${paths.length > 1 ? ' (or --seed N --count 1 for one of them)' : ''}`);
  return `${lines.join('\n')}\n`;
}
