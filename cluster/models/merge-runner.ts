import type { Logger } from 'pino';
import { BlobIntegrityError, BlobNotFoundError, BlobStoreError } from '../blob-store/blob-store-errors.ts';
import { ContentStore } from '../blob-store/content-store.ts';
import { parseModelManifest, readManifest, writeManifest, type ModelManifest } from '../blob-store/model-manifest.ts';
import type { S3BlobStore } from '../blob-store/s3-blob-store.ts';
import type { StateAccess } from '../jobs/state-access.ts';
import type { MergeAttemptOutcome, MergeObserver } from '../metrics/node-metrics.ts';
import { CommandRejectedError, NotLeaderError, ProposalDroppedError } from '../raft/errors.ts';
import { mergeMethodOf, type MergeJobParams } from '../state/merge-commands.ts';
import type { Job, MergeSettings, ModelVersion, Subject } from '../state/types.ts';
import { LoraDeltaWorker } from './lora-delta-worker.ts';
import { mergeLoraIntoManifest } from './merge-lora-into-manifest.ts';

/** Options of {@link startMergeRunner}. */
export interface MergeRunnerOptions {
  state: StateAccess;
  blobs: S3BlobStore;
  nodeId: string;
  logger: Logger;
  /** How often the leader looks for merge jobs (default 500 ms). */
  intervalMs?: number;
  /** Wait after a merge failed for a reason that may pass (the object store is away), before trying again (default 2 s). */
  retryMs?: number;
  now?: () => number;
  /** Told how long each merge attempt took and how it ended (the node's metrics). */
  observer?: MergeObserver;
}

/** What the `pendingMerges` query answers. */
interface PendingMerges {
  merges: Job[];
  settings: MergeSettings;
  currentVersion: string | null;
}

/** The fields of a `commitMerge` command that the merge computes. */
export interface MergeOutcome {
  version: string;
  parent: string;
  manifestKey: string;
  subjects: string[];
  changedTensors: number;
  changedBytes: number;
  mergeMs: number;
}

/**
 * The leader's merge loop. Whenever this node leads, merges are not paused, a model version
 * exists and a merge job is pending, it runs the oldest one: `startMerge`, then the merge itself
 * (`computeMerge`: reads the parent's manifest and the LoRA, adds the deltas in a worker thread,
 * writes only changed tensors and the new manifest), then `commitMerge`. Raft keeps ticking on
 * the event loop meanwhile. A node that stops leading mid-merge fails its commit and the next
 * leader runs the job again from the state; a merge that cannot succeed (a LoRA that does not fit
 * the model, a missing object) ends with `failMerge` and the reason.
 */
export function startMergeRunner(options: MergeRunnerOptions): { stop(): Promise<void> } {
  const { state, blobs, nodeId } = options;
  const logger = options.logger.child({ component: 'merge-runner' });
  const now = options.now ?? Date.now;
  const content = new ContentStore({ blobs, logger });
  const controller = new AbortController();
  const signal = controller.signal;
  let worker: LoraDeltaWorker | undefined;
  let running: Promise<void> | undefined;
  let retryAt = 0;

  const runOnce = async (): Promise<boolean> => {
    if (!state.isLeader() || now() < retryAt) return false;
    const pending = await state.query<PendingMerges>({ type: 'pendingMerges' }, signal, true);
    const job = pending.merges[0];
    if (job === undefined || pending.settings.paused || pending.currentVersion === null) return false;
    const mine = `merging on ${nodeId}`;
    const started = now();
    const ended = (outcome: MergeAttemptOutcome): void => options.observer?.mergeEnded(outcome, (now() - started) / 1000);
    if (job.state !== 'running' || job.progress?.phase !== mine) await state.propose({ type: 'startMerge', jobId: job.id, nodeId }, signal);
    worker ??= new LoraDeltaWorker();
    try {
      const outcome = await computeMerge(job, { state, blobs, content, worker, settings: pending.settings, now, signal });
      await state.propose({ type: 'commitMerge', jobId: job.id, ...outcome }, signal);
      ended('committed');
      logger.info({ jobId: job.id, ...outcome }, 'merge committed');
      return true;
    } catch (error) {
      if (signal.aborted) return false;
      if (isFinal(error)) {
        const reason = `merge failed: ${(error as Error).message}`.slice(0, 2000);
        await state.propose({ type: 'failMerge', jobId: job.id, reason }, signal);
        ended('failed');
        logger.warn({ jobId: job.id, reason }, 'merge failed for good');
        return true;
      }
      ended('interrupted');
      retryAt = now() + (options.retryMs ?? 2000);
      await worker.close().catch(() => {});
      worker = undefined;
      logger.warn({ jobId: job.id, err: error }, 'merge interrupted; trying again');
      return false;
    }
  };
  const tick = (): void => {
    if (running !== undefined) return;
    running = (async () => {
      while (!signal.aborted && (await runOnce())) {
        // Run the next pending merge at once.
      }
    })()
      .catch((error: unknown) => {
        if (!signal.aborted) logger.debug({ err: error }, 'merge check failed; retrying on the next tick');
      })
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, options.intervalMs ?? 500);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      controller.abort();
      await running;
      await worker?.close();
    },
  };
}

/**
 * Whether a merge failure will happen again however often it is retried: a missing or corrupt
 * object, a manifest or LoRA that does not fit. An unreachable or misconfigured object store, a
 * lost leadership or a dead worker thread pass, so those merges are tried again.
 */
function isFinal(error: unknown): boolean {
  if (error instanceof BlobNotFoundError || error instanceof BlobIntegrityError) return true;
  if (error instanceof BlobStoreError) return error.code === 'invalid_manifest';
  if (error instanceof NotLeaderError || error instanceof ProposalDroppedError || error instanceof CommandRejectedError) return false;
  return !(error instanceof Error && (error.name === 'AbortError' || /merge worker/.test(error.message)));
}

/** What {@link computeMerge} reads and writes through. */
export interface MergeContext {
  state: StateAccess;
  blobs: S3BlobStore;
  content: ContentStore;
  worker: LoraDeltaWorker;
  settings: MergeSettings;
  now: () => number;
  signal: AbortSignal;
}

/**
 * Computes a merge job onto the current version and writes the result (changed tensors and the
 * manifest) to the object store, returning what `commitMerge` records. Deterministic: the same
 * state gives the same manifest bytes, so a merge run twice (after a leader change) writes the
 * same objects. `merge` adds one LoRA to the current version; `rebuild` starts again from the
 * base (the root of the current version's line) with the LoRAs of the newest `keepLast` subjects.
 */
export async function computeMerge(job: Job, ctx: MergeContext): Promise<MergeOutcome> {
  const { state, blobs, signal } = ctx;
  const started = ctx.now();
  const listed = await state.query<{ versions: ModelVersion[]; currentVersion: string | null }>({ type: 'listModelVersions' }, signal, true);
  const byId = new Map(listed.versions.map((v) => [v.id, v]));
  const current = byId.get(listed.currentVersion ?? '');
  if (current === undefined) throw new CommandRejectedError('there is no model version to merge onto yet', 'failed_precondition');
  const version = `v${listed.versions.length + 1}`;
  const params = job.params as MergeJobParams;
  let start = current;
  let loras: { token: string; loraKey: string }[];
  let subjects: string[];
  if (params.operation === 'merge') {
    loras = [{ token: params.token, loraKey: params.loraKey }];
    subjects = [...current.subjects.filter((token) => token !== params.token), params.token];
  } else {
    while (start.parent !== null) start = byId.get(start.parent)!;
    subjects = current.subjects.slice(-params.keepLast);
    loras = [];
    for (const token of subjects) {
      const subject = await state.query<Subject>({ type: 'getSubject', token }, signal, true);
      if (subject.loraKey === null) throw new Error(`subject "${token}" has no LoRA in the store, so a rebuild cannot keep it`);
      loras.push({ token, loraKey: subject.loraKey });
    }
  }
  let manifest: ModelManifest = await readManifest(blobs, start.manifestKey, { signal });
  const changed = new Set<string>();
  let changedBytes = 0;
  const mergeMethod = mergeMethodOf(params, current, ctx.settings);
  for (const { token, loraKey } of loras) {
    const lora = await blobs.getBytes(loraKey, { signal });
    let merged;
    try {
      merged = await mergeLoraIntoManifest(manifest, lora, {
        scale: 1,
        version,
        createdAt: new Date(job.createdAt).toISOString(),
        subjects,
        mergeMethod,
        fetchTensor: (hash, s) => ctx.content.get(hash, s === undefined ? {} : { signal: s }),
        sink: ctx.content,
        worker: ctx.worker,
        signal,
      });
    } catch (error) {
      if (error instanceof BlobStoreError || (error as Error).name === 'AbortError') throw error;
      throw new Error(`the LoRA of "${token}" (${loraKey}) cannot be merged: ${(error as Error).message}`, { cause: error });
    }
    // Each LoRA goes onto the previous result; the manifest names its final parent below.
    manifest = { ...merged.manifest, version: start.id };
    for (const name of merged.changed) changed.add(name);
    changedBytes += merged.changedBytes;
  }
  manifest = parseModelManifest({ ...manifest, version, parent: current.id, subjects, mergeMethod }, `the manifest of ${version}`);
  const manifestKey = await writeManifest(blobs, manifest, { signal });
  return { version, parent: current.id, manifestKey, subjects, changedTensors: changed.size, changedBytes, mergeMs: Math.max(0, Math.round(ctx.now() - started)) };
}
