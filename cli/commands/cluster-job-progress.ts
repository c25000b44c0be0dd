import type { TextSink } from '../context.ts';
import { describeAttempt, describeQueue, isFinished, type JobUpdate } from '../../cluster/client/job-wording.ts';
import { startImagineProgress } from './imagine-progress.ts';

/** Shows a followed cluster job to the person waiting for it, on standard error. */
export interface JobProgressReporter {
  update(update: JobUpdate): void;
  /** Removes the bar, if any (idempotent). */
  stop(): void;
}

/**
 * Reports each change of a followed job: its place in the queue, the agent that took it, its
 * steps (with the loss while training), and each failed attempt that sends it back to the queue.
 * On a terminal the status and a step bar share one line; otherwise (pipes, files) each change
 * is one line, and steps are shown at every tenth of the way, so logs stay short. `quiet` (for
 * `--json`) shows nothing but the bar on a terminal.
 */
export function startJobProgress(stderr: TextSink, options: { label: string; quiet: boolean }): JobProgressReporter {
  const terminal = (stderr as Partial<NodeJS.WriteStream>).isTTY === true;
  const bar = startImagineProgress(stderr, options.label);
  const line = (text: string): void => {
    if (terminal) bar.status(text);
    else if (!options.quiet) stderr.write(`${text}\n`);
  };
  /** A line that stays on a terminal too, rather than being replaced by the next status. */
  const lasting = (text: string): void => {
    if (options.quiet) return;
    if (terminal) bar.status('');
    stderr.write(`${text}\n`);
  };
  let lastStatus = '';
  let errorsSeen = 0;
  let lastTenth = -1;
  return {
    update({ job, queue }) {
      // The final failure is reported by the command, with every reason.
      if (!isFinished(job)) {
        for (const error of job.errors.slice(errorsSeen)) {
          lasting(`attempt ${error.attempt} failed${error.agentId === null ? '' : ` on agent ${error.agentId}`}: ${error.message}`);
        }
      }
      errorsSeen = job.errors.length;
      const status = statusOf({ job, queue });
      if (status !== lastStatus && status !== '') {
        lastStatus = status;
        lastTenth = -1;
        line(status);
      }
      const progress = job.progress;
      if (progress === null || progress.total === 0 || isFinished(job)) return;
      const detail = progress.loss === null ? '' : `  loss ${progress.loss.toFixed(4)}`;
      if (terminal) {
        bar.step(progress.step, progress.total, detail);
        return;
      }
      const tenth = Math.floor((progress.step * 10) / progress.total);
      if (tenth !== lastTenth && !options.quiet) stderr.write(`step ${progress.step}/${progress.total}${detail}\n`);
      lastTenth = tenth;
    },
    stop: () => bar.stop(),
  };
}

/** The one-line status of a job that is waiting or being worked on; '' once it has ended. */
function statusOf({ job, queue }: JobUpdate): string {
  switch (job.state) {
    case 'queued':
      return queue === null ? 'queued' : `queued: ${describeQueue(queue)}`;
    case 'leased':
    case 'running':
      return `${job.state === 'leased' ? 'taken' : 'running'} by agent ${job.leaseHolder ?? '?'} (${describeAttempt(job)})`;
    default:
      return '';
  }
}
