import type { ClusterClient } from '../../cluster/client/cluster-client.ts';
import { isFinished, parseJobReply, type JobUpdate } from '../../cluster/client/job-wording.ts';

/** What following a job needs of the cluster client. */
export type WatchApi = Pick<ClusterClient, 'watchJob'>;

/** Options of {@link followJob}. */
export interface FollowOptions {
  /** Called with the first update and then at most once per `minIntervalMs` (chat platforms limit message edits). */
  onUpdate: (update: JobUpdate) => Promise<void>;
  minIntervalMs: number;
  now: () => number;
  signal: AbortSignal;
}

/**
 * Follows a job until it ends and returns its final record. Intermediate updates are thinned to
 * one per `minIntervalMs` (the latest wins); the final state is always returned, never dropped.
 * The stream moves to another node when one goes away (`ClusterClient.watchJob`).
 */
export async function followJob(api: WatchApi, jobId: string, options: FollowOptions): Promise<JobUpdate> {
  let last: JobUpdate | undefined;
  let shownAt = Number.NEGATIVE_INFINITY;
  for await (const reply of api.watchJob(jobId, options.signal)) {
    last = parseJobReply(reply);
    if (isFinished(last.job)) return last;
    if (options.now() - shownAt >= options.minIntervalMs) {
      shownAt = options.now();
      await options.onUpdate(last);
    }
  }
  throw new Error(`the cluster stopped reporting on job ${jobId} before it ended`);
}
