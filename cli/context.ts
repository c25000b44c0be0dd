import type { ChildProcess, SpawnOptions } from 'node:child_process';
import type { DestinationStream } from 'pino';
import type { ClusterClient, ClusterClientOptions } from '../cluster/client/cluster-client.ts';
import type { Logger } from '../config/logger.ts';
import type { NodeConfig } from '../config/schema.ts';

/** The part of the cluster client the commands use. */
export type ClusterClientApi = Pick<
  ClusterClient,
  'statusAll' | 'propose' | 'query' | 'addNode' | 'removeNode' | 'transferLeadership' | 'jobs' | 'watchJob' | 'close'
>;

/** A running node, as returned by `startNode` (cluster/server/start-node.ts). */
export interface RunningNode {
  address: string;
  /** `http://host:port/metrics` when the node serves metrics. */
  metricsUrl?: string;
  close(): Promise<void>;
}

/** Something text can be written to (process.stdout, or a buffer in tests). */
export interface TextSink {
  write(text: string): unknown;
}

/**
 * Everything a command touches outside its own code, passed in so that commands have no module
 * state and tests can run them in-process: output streams, environment, clock, randomness,
 * signals, child processes, and the cluster code (loaded lazily, so `--help` stays fast).
 */
export interface CliContext {
  stdout: TextSink;
  stderr: TextSink;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Node.js binary and bin/teambooth.js, used by `up` to start nodes as child processes. */
  execPath: string;
  binPath: string;
  randomBytes(size: number): Buffer;
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  createClient(options: ClusterClientOptions): Promise<ClusterClientApi>;
  startNode(config: NodeConfig, logger: Logger): Promise<RunningNode>;
  /** Calls `handler` on SIGINT, SIGTERM or SIGHUP (and when a parent `up` disconnects); returns a function that stops listening. */
  onShutdownSignal(handler: (signal: string) => void): () => void;
  spawn(command: string, args: readonly string[], options: SpawnOptions): ChildProcess;
  /** Where process logs go (default: standard error). */
  logDestination?: DestinationStream;
}
