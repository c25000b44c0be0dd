import type { CommonOptions } from '../command.ts';
import { defineCommand } from '../command.ts';
import { loadCommandConfig, serverOverrides, withClient } from '../command-support.ts';
import { parseJobReply } from '../../cluster/client/job-wording.ts';

interface JobsCancelOptions extends CommonOptions {
  servers?: string;
  requester?: string;
}

/**
 * `teambooth jobs cancel ID`: cancels a queued or running job (the Cancel call, with the admin
 * token); an agent working on it learns so at its next progress report and drops the work. With
 * `--requester`, only that member's job is cancelled, as the chat bots do for their members.
 */
export const jobsCancelCommand = defineCommand<JobsCancelOptions>({
  path: ['jobs', 'cancel'],
  summary: 'cancel a queued or running job',
  define(command) {
    command
      .argument('<job-id>', 'the job id, e.g. j-42 (as `teambooth jobs list` shows it)')
      .option('--requester <name>', 'cancel only if the job is this member\'s (default: any job; needs the admin token either way)')
      .option('--servers <list>', 'comma-separated host:port of the nodes');
  },
  async execute(input) {
    const { options, ctx } = input;
    const jobId = input.args[0] ?? '';
    const loaded = loadCommandConfig(input, serverOverrides(options.servers));
    const request = { jobId, ...(options.requester === undefined ? {} : { requester: options.requester }) };
    const reply = await withClient(input, loaded, { admin: true }, (client) => client.jobs('Cancel', request, { mode: 'leader', auth: 'admin', signal: input.signal }));
    const { job } = parseJobReply(reply);
    ctx.stdout.write(`Cancelled job ${job.id} (${job.kind} for ${job.requester}).\n`);
    return 0;
  },
});
