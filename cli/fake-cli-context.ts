import { EventEmitter } from 'node:events';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import type { ClusterClientOptions } from '../cluster/client/cluster-client.ts';
import type { ConfState } from '../cluster/raft/types.ts';
import type { NodeStatus } from '../cluster/server/backend.ts';
import type { NodeConfig } from '../config/schema.ts';
import type { CliContext, ClusterClientApi, RunningNode } from './context.ts';

/** A recorded call to the fake cluster client. */
export interface ClientCall {
  method: string;
  args: unknown[];
}

/** Canned answers of the fake cluster client; a function answer may throw. */
export interface FakeClusterAnswers {
  statusAll?: () => Array<{ server: string; status?: NodeStatus; error?: string }>;
  propose?: (command: unknown) => unknown;
  query?: (query: unknown) => unknown;
  /** The reply of a Jobs call (`method` is e.g. `AgentHeartbeat`); may be a promise. */
  jobs?: (method: string, request: unknown) => unknown;
  conf?: ConfState;
}

/** A fake child process: `kill` records the signal and, unless told otherwise, the child exits. */
export class FakeChild extends EventEmitter {
  readonly signals: string[] = [];
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly options: SpawnOptions,
    private readonly exitOnSignal: boolean,
  ) {
    super();
  }
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    this.signals.push(signal);
    if (this.exitOnSignal || signal === 'SIGKILL') queueMicrotask(() => this.emit('exit', signal === 'SIGKILL' ? null : 0, signal === 'SIGKILL' ? 'SIGKILL' : null));
    return true;
  }
}

/**
 * An in-memory {@link CliContext} for tests: captured output, a fake cluster client that records
 * its calls, a fake `startNode`, signals raised by the test, fake child processes, seeded bytes
 * and a clock that advances only when something sleeps.
 */
export class FakeCliContext implements CliContext {
  out = '';
  err = '';
  readonly stdout = { write: (text: string) => void (this.out += text) };
  readonly stderr = { write: (text: string) => void (this.err += text) };
  env: NodeJS.ProcessEnv = {};
  cwd: string;
  readonly execPath = '/usr/bin/node';
  readonly binPath = '/repo/bin/teambooth.js';
  readonly clientOptions: ClusterClientOptions[] = [];
  readonly calls: ClientCall[] = [];
  readonly startedNodes: NodeConfig[] = [];
  readonly children: FakeChild[] = [];
  answers: FakeClusterAnswers = {};
  closedClients = 0;
  nodeClosed = 0;
  childrenExitOnSignal = true;
  /** When true, closing a started node never finishes (to test a forced exit). */
  nodeCloseHangs = false;
  logDestination = { write: (_text: string) => undefined };
  private clock = 0;
  private seed = 7;
  private readonly signalHandlers = new Set<(signal: string) => void>();

  constructor(cwd = '/nonexistent') {
    this.cwd = cwd;
  }

  randomBytes(size: number): Buffer {
    const out = Buffer.alloc(size);
    for (let i = 0; i < size; i++) {
      this.seed = (this.seed * 1103515245 + 12345) >>> 0;
      out[i] = this.seed >>> 24;
    }
    return out;
  }

  now(): number {
    return this.clock;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.clock += ms;
    await Promise.resolve();
  }

  async createClient(options: ClusterClientOptions): Promise<ClusterClientApi> {
    this.clientOptions.push(options);
    const record = (method: string, args: unknown[]): void => void this.calls.push({ method, args });
    const answers = this.answers;
    const conf: ConfState = answers.conf ?? { voters: ['n1'], learners: [], addresses: { n1: '127.0.0.1:7001' } };
    return {
      statusAll: async () => {
        record('statusAll', []);
        return answers.statusAll?.() ?? [];
      },
      propose: async (command) => {
        record('propose', [command]);
        return answers.propose?.(command);
      },
      query: async (query, options) => {
        record('query', [query, { stale: options?.stale }]);
        return answers.query?.(query);
      },
      addNode: async (nodeId, address) => {
        record('addNode', [nodeId, address]);
        return conf;
      },
      removeNode: async (nodeId) => {
        record('removeNode', [nodeId]);
        return conf;
      },
      transferLeadership: async (nodeId) => {
        record('transferLeadership', [nodeId]);
      },
      jobs: async (method, request) => {
        record('jobs', [method, request]);
        // The canned answer stands in for whichever reply type the method has.
        return answers.jobs?.(method, request) as never;
      },
      // Commands that follow jobs are tested against a real cluster (test-cluster.ts).
      watchJob: (jobId) => {
        record('watchJob', [jobId]);
        throw new Error('the fake cluster client has no Jobs service (Watch); use ClusterCliContext from test-cluster.ts');
      },
      close: () => {
        this.closedClients += 1;
      },
    };
  }

  async startNode(config: NodeConfig): Promise<RunningNode> {
    this.startedNodes.push(config);
    return {
      address: config.advertise,
      ...(config.metricsListen === undefined ? {} : { metricsUrl: `http://${config.metricsListen}/metrics` }),
      close: async () => {
        this.nodeClosed += 1;
        if (this.nodeCloseHangs) await new Promise(() => undefined);
      },
    };
  }

  onShutdownSignal(handler: (signal: string) => void): () => void {
    this.signalHandlers.add(handler);
    return () => this.signalHandlers.delete(handler);
  }

  /** Delivers a shutdown signal to every current listener; returns how many listened. */
  raise(signal: string): number {
    const handlers = [...this.signalHandlers];
    for (const handler of handlers) handler(signal);
    return handlers.length;
  }

  spawn(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
    const child = new FakeChild(command, args, options, this.childrenExitOnSignal);
    this.children.push(child);
    return child as unknown as ChildProcess;
  }
}

/** A NodeStatus with defaults for the fields a test does not care about. */
export function nodeStatus(fields: Partial<NodeStatus> & Pick<NodeStatus, 'id'>): NodeStatus {
  return {
    address: '',
    clusterId: 'c-test',
    role: 'follower',
    term: 1,
    commitIndex: 0,
    appliedIndex: 0,
    leaderId: '',
    leaderAddress: '',
    conf: { voters: [], learners: [], addresses: {} },
    modelVersion: '',
    ...fields,
  };
}
