import type { CommonOptions } from '../command.ts';
import { defineCommand } from '../command.ts';
import { loadCommandConfig, printJson, serverOverrides, withClient } from '../command-support.ts';
import { describeAttempt, describeErrors, describeQueue, formatTime, outputsOf, parseJobReply, type JobUpdate } from '../../cluster/client/job-wording.ts';

interface JobsShowOptions extends CommonOptions {
  servers?: string;
  json?: boolean;
}

/** `teambooth jobs show ID`: one job's state, attempts, progress, place in the queue, failures and outputs (the Get call). */
export const jobsShowCommand = defineCommand<JobsShowOptions>({
  path: ['jobs', 'show'],
  summary: 'show one job: state, attempts, progress, place in the queue, failures, outputs',
  define(command) {
    command
      .argument('<job-id>', 'the job id, e.g. j-42 (as `teambooth jobs list` shows it)')
      .option('--servers <list>', 'comma-separated host:port of the nodes')
      .option('--json', 'print {"job": {...}, "queue": {...} | null}');
  },
  async execute(input) {
    const jobId = input.args[0] ?? '';
    const loaded = loadCommandConfig(input, serverOverrides(input.options.servers));
    const reply = await withClient(input, loaded, { admin: false }, (client) => client.jobs('Get', { jobId }, { mode: 'any', auth: 'none', signal: input.signal }));
    const update = parseJobReply(reply);
    if (input.options.json === true) printJson(input, update);
    else input.ctx.stdout.write(renderJob(update));
    return 0;
  },
});

/** The job as labelled lines, then its failures and outputs, if any. */
export function renderJob({ job, queue }: JobUpdate): string {
  const lines = [`job ${job.id}: ${job.kind} for ${job.requester}, ${job.state}${job.attempts === 0 ? '' : ` (${describeAttempt(job)})`}`];
  const field = (label: string, value: string): void => void lines.push(`  ${`${label}:`.padEnd(10)}${value}`);
  field('params', JSON.stringify(job.params));
  if (job.leaseHolder !== null) field('agent', job.leaseHolder);
  if (job.progress !== null) {
    const loss = job.progress.loss === null ? '' : `, loss ${job.progress.loss.toFixed(4)}`;
    const phase = job.progress.phase === null ? '' : ` (${job.progress.phase})`;
    field('progress', `step ${job.progress.step}/${job.progress.total}${loss}${phase}`);
  }
  if (queue !== null) field('queue', describeQueue(queue));
  field('created', formatTime(job.createdAt));
  if (job.startedAt !== null) field('started', formatTime(job.startedAt));
  if (job.finishedAt !== null) field('finished', formatTime(job.finishedAt));
  if (job.errors.length > 0) lines.push('failed attempts:', ...describeErrors(job).map((line) => `  ${line}`));
  const outputs = outputsOf(job);
  if (outputs.length > 0) lines.push('outputs:', ...outputs.map((output) => `  ${output.name}  ${output.bytes} bytes  sha256 ${output.sha256}`));
  return `${lines.join('\n')}\n`;
}
