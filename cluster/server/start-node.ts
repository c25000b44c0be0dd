import { createHash, randomInt } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { NodeConfig } from '../../config/schema.ts';
import { defaultRaftConfig } from '../raft/raft-core.ts';
import type { ConfState } from '../raft/types.ts';
import { openDataDir } from '../storage/data-dir.ts';
import { lockDataDir } from '../storage/data-dir-lock.ts';
import { FileLogStore } from '../storage/file-log-store.ts';
import { s3BlobStoreOptions } from '../blob-store/blob-store-from-config.ts';
import { S3BlobStore } from '../blob-store/s3-blob-store.ts';
import { createJobsService } from '../jobs/jobs-service.ts';
import { startLeaseExpiry } from '../jobs/lease-expiry.ts';
import { createOutputCheck, versionShapes } from '../jobs/output-checks.ts';
import { ContentStore } from '../blob-store/content-store.ts';
import { readManifest } from '../blob-store/model-manifest.ts';
import { boundedMemo } from '../models/bounded-memo.ts';
import { StateAccess } from '../jobs/state-access.ts';
import { startMergeRunner } from '../models/merge-runner.ts';
import { startMetricsServer } from '../metrics/metrics-server.ts';
import { NodeMetrics } from '../metrics/node-metrics.ts';
import { GrpcTransport } from '../transport/grpc-transport.ts';
import { startGrpcServer } from './grpc-server.ts';
import { RaftNode } from './raft-node.ts';

/** A running cluster member. */
export interface RunningNode {
  /** host:port the node serves on. */
  address: string;
  /** `http://host:port/metrics` when `node.metricsListen` is set. */
  metricsUrl?: string;
  clusterId: string;
  node: RaftNode;
  close(): Promise<void>;
}

/**
 * The cluster id of a new cluster: derived from its bootstrap membership, so every founding
 * member computes the same id without talking to the others. Members added later are given it
 * with `--cluster-id` (printed by `teambooth status` and `teambooth cluster add-node`).
 */
export function bootstrapClusterId(peers: Record<string, string>): string {
  const canonical = Object.keys(peers)
    .sort()
    .map((id) => `${id}=${peers[id]}`)
    .join(',');
  return `tb-${createHash('sha256').update(canonical).digest('hex').slice(0, 16)}`;
}

/** Side of the base model's images (the built-in tiny model until model versions come from S3). */
const TINY_MODEL_IMAGE_SIZE = 64;

/**
 * Starts one node: checks and locks its data dir, loads its log, starts the gRPC server
 * (peer, cluster and jobs services on one port), the Raft driver, the leader's lease keeper
 * and merge runner, and the Prometheus endpoint when `metricsListen` is set.
 */
export async function startNode(config: NodeConfig, logger: Logger): Promise<RunningNode> {
  if (config.join && !config.clusterId) {
    throw new Error('--join needs --cluster-id: copy it from `teambooth status` on the running cluster');
  }
  const expectedClusterId = config.clusterId ?? (config.join ? undefined : bootstrapClusterId(config.peers));
  await mkdir(config.dataDir, { recursive: true });
  const lock = await lockDataDir(config.dataDir);
  const closers: Array<() => Promise<void>> = [() => lock.release()];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((error: unknown) => logger.warn({ err: error }, 'error while closing'));
  };
  try {
    const { clusterId } = await openDataDir(config.dataDir, { nodeId: config.id, clusterId: expectedClusterId });
    const metricsServer = config.metricsListen === undefined ? undefined : await startMetricsServer({ listen: config.metricsListen });
    if (metricsServer) closers.push(() => metricsServer.stop());
    const metrics = metricsServer && new NodeMetrics(metricsServer.registry);
    if (metrics) closers.push(async () => metrics.close());
    const store = new FileLogStore({ dir: config.dataDir, logger });
    const tls = config.tls
      ? { ca: await readFile(config.tls.ca), cert: await readFile(config.tls.cert), key: await readFile(config.tls.key) }
      : undefined;
    const bootstrap: ConfState = config.join
      ? { voters: [], learners: [], addresses: {} }
      : { voters: Object.keys(config.peers).sort(), learners: [], addresses: { ...config.peers } };
    let transport: GrpcTransport | undefined;
    const raft = {
      ...defaultRaftConfig(config.id, () => randomInt(0, 2 ** 32) / 2 ** 32),
      electionTick: config.raft.electionTicks,
      heartbeatTick: config.raft.heartbeatTicks,
      preVote: config.raft.preVote,
      checkQuorum: config.raft.checkQuorum,
      maxSizePerMsg: config.raft.maxSizePerMsg,
      maxInflightMsgs: config.raft.maxInflightMsgs,
      maxUncommittedBytes: config.raft.maxUncommittedBytes,
    };
    const node = await RaftNode.start({
      id: config.id,
      clusterId,
      address: config.advertise,
      raft,
      tickMs: config.raft.tickMs,
      snapshotEntries: config.raft.snapshotEntries,
      store,
      bootstrap,
      logger,
      adminToken: config.adminToken,
      now: Date.now,
      peerAddresses: config.peers,
      observer: metrics,
      transport: (handler) => {
        transport = new GrpcTransport({
          selfId: config.id,
          clusterId,
          handler,
          logger,
          tls,
          snapshotChunkBytes: config.raft.snapshotChunkBytes,
          maxMessageBytes: config.raft.maxMessageBytes,
        });
        return transport;
      },
    });
    closers.push(() => node.stop());
    const blobs = new S3BlobStore(s3BlobStoreOptions(config.s3, { logger }));
    closers.push(async () => blobs.close());
    const state = new StateAccess(node, config.id);
    metrics?.watch({ backend: node, state, now: Date.now });
    // The Jobs service (agents' ModelFiles) and the LoRA checks read the same few manifests.
    const manifestAt = boundedMemo(8, (key: string, signal: AbortSignal) => readManifest(blobs, key, { signal }));
    const jobs = createJobsService({
      backend: node,
      blobs,
      nodeId: config.id,
      logger,
      leaseMs: config.jobs.leaseMs,
      checkOutput: createOutputCheck(versionShapes({ state, content: new ContentStore({ blobs, logger }), manifestAt })),
      manifestAt,
      modelSize: TINY_MODEL_IMAGE_SIZE,
    });
    const server = await startGrpcServer({
      listen: config.listen,
      raft: transport!.service,
      cluster: node,
      services: [jobs],
      tls,
      logger,
      maxMessageBytes: config.raft.maxMessageBytes,
    });
    closers.push(() => server.close());
    const expiry = startLeaseExpiry({ state, logger, intervalMs: config.jobs.leaseCheckMs });
    closers.push(async () => expiry.stop());
    const merges = startMergeRunner({ state, blobs, nodeId: config.id, logger, observer: metrics });
    closers.push(() => merges.stop());
    logger.info({ clusterId, address: server.address, members: bootstrap.voters, metrics: metricsServer?.url }, 'node serving');
    return { address: server.address, ...(metricsServer ? { metricsUrl: metricsServer.url } : {}), clusterId, node, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
