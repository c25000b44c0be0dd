import { Option } from 'commander';
import type { Job } from '../../cluster/state/types.ts';
import type { CommonOptions } from '../command.ts';
import { defineCommand } from '../command.ts';
import { loadCommandConfig, printJson, serverOverrides, withClient } from '../command-support.ts';
import { formatTable } from '../format-table.ts';
import { UsageError } from '../usage-error.ts';
import { describeRequest, formatTime } from '../../cluster/client/job-wording.ts';

interface JobsListOptions extends CommonOptions {
  servers?: string;
  state?: string;
  kind?: string;
  requester?: string;
  limit: string;
  json?: boolean;
}

const JOB_STATES = ['queued', 'leased', 'running', 'succeeded', 'failed', 'cancelled'] as const;
const JOB_KINDS = ['imagine', 'train', 'merge'] as const;
/** The most jobs the cluster lists in one answer (cluster/state/queries.ts). */
const MAX_LIMIT = 10_000;

/** `teambooth jobs list`: the most recent jobs, filtered by state, kind and requester (the listJobs query). */
export const jobsListCommand = defineCommand<JobsListOptions>({
  path: ['jobs', 'list'],
  summary: 'list the most recent jobs of the cluster',
  define(command) {
    command
      .addOption(new Option('--state <state>', 'only jobs in this state').choices(JOB_STATES))
      .addOption(new Option('--kind <kind>', 'only jobs of this kind').choices(JOB_KINDS))
      .option('--requester <name>', 'only the jobs of this member')
      .option('--limit <n>', `show at most this many, the most recent last (1..${MAX_LIMIT})`, '20')
      .option('--servers <list>', 'comma-separated host:port of the nodes')
      .option('--json', 'print {"jobs": [...]}, the full job records');
  },
  async execute(input) {
    const { options, ctx } = input;
    const limit = parseLimit(options.limit);
    const loaded = loadCommandConfig(input, serverOverrides(options.servers));
    const query = {
      type: 'listJobs',
      limit,
      ...(options.state === undefined ? {} : { state: options.state }),
      ...(options.kind === undefined ? {} : { kind: options.kind }),
      ...(options.requester === undefined ? {} : { requester: options.requester }),
    };
    const result = await withClient(input, loaded, { admin: false }, (client) => client.query(query, { signal: input.signal }));
    const jobs = jobsOf(result);
    if (options.json === true) {
      printJson(input, { jobs });
      return 0;
    }
    if (jobs.length === 0) {
      const filtered = options.state !== undefined || options.kind !== undefined || options.requester !== undefined;
      ctx.stdout.write(filtered ? 'No jobs match.\n' : `No jobs yet. Submit one with: teambooth imagine "a red star" --servers HOST:PORT\n`);
      return 0;
    }
    ctx.stdout.write(formatTable(['ID', 'KIND', 'STATE', 'REQUESTER', 'ATTEMPTS', 'PROGRESS', 'CREATED', 'REQUEST'], jobs.map(toRow)));
    return 0;
  },
});

function parseLimit(text: string): number {
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_LIMIT) throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LIMIT} (got ${JSON.stringify(text)})`);
  return value;
}

function jobsOf(result: unknown): Job[] {
  const list = typeof result === 'object' && result !== null && 'jobs' in result ? result.jobs : undefined;
  if (!Array.isArray(list)) throw new Error(`the cluster answered listJobs with ${JSON.stringify(result)}, which is not a list of jobs`);
  return list as Job[];
}

function toRow(job: Job): string[] {
  const progress = job.progress === null ? '-' : `${job.progress.step}/${job.progress.total}`;
  return [job.id, job.kind, job.state, job.requester, String(job.attempts), progress, formatTime(job.createdAt), describeRequest(job)];
}
