import { randomUUID as cryptoRandomUUID } from 'node:crypto';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { StorageError } from '../raft/errors.ts';
import { syncDirectory, writeFileAtomically } from './durable-fs.ts';

/** Version of the data dir layout written into meta.json. */
export const DATA_DIR_FORMAT_VERSION = 1;

const metaSchema = z.object({
  formatVersion: z.number().int().positive(),
  clusterId: z.string().min(1),
  nodeId: z.string().min(1),
});

/** Who the data dir should belong to. */
export interface DataDirIdentity {
  /** The cluster this node joins; generated on first use when not given. */
  clusterId?: string;
  nodeId: string;
}

/** Injected dependencies of {@link openDataDir}. */
export interface DataDirOptions {
  /** Source of new cluster ids; crypto.randomUUID by default. */
  randomUUID?: () => string;
}

async function hasFiles(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length > 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Opens a node's data dir, creating it with a `meta.json` (cluster id, node id, format
 * version) on first use. Later opens check that the dir belongs to the same node and cluster,
 * and throw a StorageError that says what to change when it does not, so a node never starts
 * on another node's log. Resolves with the cluster id and whether the dir was just created.
 */
export async function openDataDir(dir: string, expected: DataDirIdentity, options: DataDirOptions = {}): Promise<{ clusterId: string; created: boolean }> {
  const root = resolve(dir);
  const path = join(root, 'meta.json');
  await mkdir(root, { recursive: true });
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text === undefined) {
    if (await hasFiles(join(root, 'wal'))) {
      throw new StorageError(`data dir ${root} holds a write-ahead log but no meta.json, so it cannot be told which node it belongs to; restore meta.json from a backup or use another --data-dir`);
    }
    const clusterId = expected.clusterId ?? (options.randomUUID ?? cryptoRandomUUID)();
    const meta = { formatVersion: DATA_DIR_FORMAT_VERSION, clusterId, nodeId: expected.nodeId };
    await writeFileAtomically(path, [Buffer.from(`${JSON.stringify(meta, null, 2)}\n`, 'utf8')]);
    await syncDirectory(dirname(root));
    return { clusterId, created: true };
  }
  let meta: z.infer<typeof metaSchema>;
  try {
    meta = metaSchema.parse(JSON.parse(text));
  } catch (err) {
    const reason = err instanceof z.ZodError ? err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') : (err as Error).message;
    throw new StorageError(`${path} is not a valid data dir identity file (${reason}); restore it from a backup or use another --data-dir`);
  }
  if (meta.formatVersion > DATA_DIR_FORMAT_VERSION) {
    throw new StorageError(`data dir ${root} has format version ${meta.formatVersion}, newer than this build reads (${DATA_DIR_FORMAT_VERSION}); upgrade teambooth or use another --data-dir`);
  }
  const wrongNode = meta.nodeId !== expected.nodeId;
  const wrongCluster = expected.clusterId !== undefined && meta.clusterId !== expected.clusterId;
  if (wrongNode || wrongCluster) {
    const self = expected.clusterId !== undefined ? `${expected.nodeId} (cluster ${expected.clusterId})` : expected.nodeId;
    throw new StorageError(`data dir ${root} belongs to node ${meta.nodeId} of cluster ${meta.clusterId}, but this node is ${self}; use another --data-dir`);
  }
  return { clusterId: meta.clusterId, created: false };
}
