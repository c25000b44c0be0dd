import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parseManifestBytes } from '../../cluster/blob-store/model-manifest.ts';
import { materializeModel } from '../../cluster/models/materialize-model.ts';
import { TensorCache } from '../../cluster/models/tensor-cache.ts';
import type { AgentJobsApi } from './agent-jobs-api.ts';
import { TINY_MODEL_VERSION, type ModelSource } from './model-host.ts';
import { downloadFromUrl } from './presigned-transfer.ts';

/** Options of {@link clusterModelSource}. */
export interface ClusterModelSourceOptions {
  api: Pick<AgentJobsApi, 'modelFiles'>;
  /** The agent's cache folder: tensors go to `tensors/`, model versions to `versions/`. */
  cacheDir: string;
  /** Serves the built-in tiny model (jobs submitted before the cluster had a version). */
  builtIn: ModelSource;
  /** Bytes the tensor cache may keep (default 16 GiB). */
  maxCacheBytes?: number;
  /** Model version folders kept on disk (default 2). */
  keepVersions?: number;
  logger: Logger;
  now: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
}

/**
 * Model versions of the shared model, as an agent gets them: the manifest and then only the
 * tensors its cache lacks, through presigned GETs the cluster signs (`ModelFiles`), each checked
 * against its hash, then written out as a model directory (`materializeModel`). A version moves
 * in as one rename, so a crash never leaves half a version behind; only the newest `keepVersions`
 * folders stay on disk. Version `tiny` is the built-in model.
 */
export function clusterModelSource(options: ClusterModelSourceOptions): ModelSource {
  const { api, logger } = options;
  const versionsDir = join(options.cacheDir, 'versions');
  let cache: Promise<TensorCache> | undefined;
  /** URLs of the tensors being fetched for the version in progress. */
  let urls: Record<string, string> = {};
  const transfer = (signal: AbortSignal, version: string) => ({
    signal,
    logger,
    now: options.now,
    sleep: options.sleep,
    random: options.random,
    refreshUrl: async (hash: string, refreshSignal: AbortSignal) => {
      const fresh = await api.modelFiles(version, [hash], refreshSignal);
      return fresh.urls[hash] ?? '';
    },
  });
  return async (version, signal) => {
    if (version === TINY_MODEL_VERSION) return options.builtIn(version, signal);
    const files = await api.modelFiles(version, [], signal);
    const manifestBytes = await downloadFromUrl(files.manifestKey, files.manifestUrl, { ...transfer(signal, version), refreshUrl: async (_name, s) => (await api.modelFiles(version, [], s)).manifestUrl });
    const manifest = parseManifestBytes(manifestBytes, files.manifestKey);
    const target = join(versionsDir, `${version}-${files.manifestKey.slice(-17, -5)}`);
    if (await exists(target)) return target;
    cache ??= TensorCache.open({
      directory: join(options.cacheDir, 'tensors'),
      maxBytes: options.maxCacheBytes ?? 16 * 2 ** 30,
      logger,
      fetch: (hash, fetchSignal) => {
        const url = urls[hash];
        if (url === undefined) throw new Error(`no URL was signed for tensor ${hash}`);
        return downloadFromUrl(hash, url, transfer(fetchSignal ?? signal, version));
      },
    });
    const tensors = await cache;
    const missing = [...new Set(Object.values(manifest.tensors).map((t) => t.sha256))].filter((hash) => !tensors.has(hash));
    const started = options.now();
    if (missing.length > 0) urls = { ...urls, ...(await api.modelFiles(version, missing, signal)).urls };
    await materializeModel(manifest, (hash, fetchSignal) => tensors.get(hash, fetchSignal ?? signal), target, { signal });
    logger.info({ version, tensors: Object.keys(manifest.tensors).length, fetched: missing.length, ms: Math.round(options.now() - started) }, 'model version downloaded');
    await pruneVersions(versionsDir, options.keepVersions ?? 2, target, logger);
    return target;
  };
}

/** Deletes all but the `keep` most recently written version folders (never `current`). */
async function pruneVersions(dir: string, keep: number, current: string, logger: Logger): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  const folders = await Promise.all(
    entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map(async (e) => ({ path: join(dir, e.name), mtimeMs: (await stat(join(dir, e.name))).mtimeMs })),
  );
  folders.sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const old of folders.slice(keep)) {
    if (old.path === current) continue;
    await rm(old.path, { recursive: true, force: true });
    logger.debug({ path: old.path }, 'removed an old model version');
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
