import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ClusterClient } from '../../cluster/client/cluster-client.ts';
import type { Device } from '../onnx/runtime.ts';
import { clusterJobsApi } from './agent-jobs-api.ts';
import { AgentMetrics } from './agent-metrics.ts';
import { clusterModelSource } from './cluster-model-source.ts';
import { GpuAgent } from './gpu-agent.ts';
import { builtInModelSource, ModelHost } from './model-host.ts';

/** Options of {@link clusterAgent}. */
export interface ClusterAgentOptions {
  /** A cluster client that carries the agent's token. */
  client: Pick<ClusterClient, 'jobs'>;
  /** Models, the tensor cache and scratch files live here. */
  cacheDir: string;
  device: Device;
  logger: Logger;
  maxJobs: number;
  canTrain: boolean;
  maxImageSize?: number;
  memoryMb: number;
  now: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
  /** Where to register the agent's metrics; none without it. */
  metrics?: Registry;
}

/**
 * The agent `teambooth agent` runs: the cluster's agent calls, model versions fetched from the
 * cluster into `cacheDir` (the built-in tiny model for jobs without a version), the job
 * runners' scratch folder, and its metrics when given a registry.
 */
export function clusterAgent(options: ClusterAgentOptions): GpuAgent {
  const { cacheDir, logger } = options;
  const api = clusterJobsApi(options.client);
  const source = clusterModelSource({ api, cacheDir, builtIn: builtInModelSource(cacheDir, logger), logger, now: options.now, sleep: options.sleep, random: options.random });
  const models = new ModelHost({ source, device: options.device, logger });
  return new GpuAgent({
    api,
    models,
    logger,
    maxJobs: options.maxJobs,
    canTrain: options.canTrain,
    ...(options.maxImageSize === undefined ? {} : { maxImageSize: options.maxImageSize }),
    memoryMb: options.memoryMb,
    workDir: join(cacheDir, 'training'),
    now: options.now,
    sleep: options.sleep,
    random: options.random,
    ...(options.metrics === undefined ? {} : { observer: new AgentMetrics(options.metrics, { models }) }),
  });
}
