import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { dialHost } from '../config/address.ts';
import type { CliContext } from './context.ts';

/** A process of the local stack (a node, the local agent, a bot). Paths are relative to the working directory. */
export interface LocalProcessSpec {
  id: string;
  logFile: string;
}

/** One node of the local stack. */
export interface LocalNodeSpec extends LocalProcessSpec {
  port: number;
  address: string;
  dataDir: string;
  /** Where it serves Prometheus metrics (`/metrics`), on {@link LocalNodeSpec.metricsPort}. */
  metricsAddress: string;
  metricsPort: number;
}

/** The local stack's metrics ports sit this far above the nodes' ports: n1 at base + 200, the agent at base + 210. */
export const METRICS_PORT_OFFSET = 200;
/** The most nodes `up` runs; the agent's metrics port follows theirs. */
export const MAX_LOCAL_NODES = 9;

/** The port the local agent serves its metrics on (127.0.0.1), for a stack whose n1 listens on `basePort`. */
export function agentMetricsPort(basePort: number): number {
  return basePort + METRICS_PORT_OFFSET + MAX_LOCAL_NODES + 1;
}

/** How a child process ended. */
export interface ChildExit {
  spec: LocalProcessSpec;
  code: number | null;
  signal: string | null;
}

/**
 * Plans `count` nodes n1..nN on 127.0.0.1 from `basePort` up, with data in `.teambooth/nI`, logs
 * in `.teambooth/logs/nI.log` and metrics {@link METRICS_PORT_OFFSET} ports above their own.
 */
export function planLocalStack(basePort: number, count: number): LocalNodeSpec[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `n${i + 1}`;
    const port = basePort + i;
    const metricsPort = port + METRICS_PORT_OFFSET;
    return { id, port, address: `127.0.0.1:${port}`, dataDir: join('.teambooth', id), logFile: join('.teambooth', 'logs', `${id}.log`), metricsAddress: `127.0.0.1:${metricsPort}`, metricsPort };
  });
}

/** The `--peers` value for the planned nodes. */
export function peersOf(specs: readonly LocalNodeSpec[]): string {
  return specs.map((spec) => `${spec.id}=${spec.address}`).join(',');
}

/**
 * Checks that every planned port can be bound on 127.0.0.1.
 * @throws Error naming the first busy port, the node it was for, and `--base-port`.
 */
export async function assertPortsFree(specs: readonly LocalNodeSpec[]): Promise<void> {
  const basePort = specs[0]?.port ?? 0;
  const fix = `choose other ports with --base-port, e.g. \`teambooth up --base-port ${Math.min(basePort + 1000, 65535 - 300)}\``;
  for (const spec of specs) await assertPortFree(spec.port, `${spec.address}, for node ${spec.id}`, fix);
  for (const spec of specs) await assertPortFree(spec.metricsPort, `${spec.metricsAddress}, for the metrics of node ${spec.id}`, fix);
}

/**
 * Checks that `port` can be bound on 127.0.0.1.
 * @throws Error naming the port, what it is `for`, and how to `fix` it.
 */
export async function assertPortFree(port: number, purpose: string, fix: string): Promise<void> {
  const problem = await bindProblem(port);
  if (problem !== undefined) throw new Error(`port ${port} (${purpose}) ${problem}: stop whatever holds it (another \`teambooth up\`?), or ${fix}`);
}

/** A port the OS reports free on 127.0.0.1 now (bound on port 0, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Resolves true once `host:port` accepts connections (a wildcard host is dialled on 127.0.0.1),
 * false when `exited()` says the process meant to listen there is gone, or after `timeoutMs`.
 */
export async function waitUntilListening(ctx: Pick<CliContext, 'now' | 'sleep'>, address: { host: string; port: number }, exited: () => boolean, signal: AbortSignal, timeoutMs = 30_000): Promise<boolean> {
  const host = dialHost(address.host);
  const deadline = ctx.now() + timeoutMs;
  while (!exited() && ctx.now() < deadline) {
    const open = await new Promise<boolean>((done) => {
      const socket = connect({ host, port: address.port }, () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (open) return true;
    await ctx.sleep(100, signal);
  }
  return false;
}

function bindProblem(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code === 'EADDRINUSE' ? 'is already in use' : error.code === 'EACCES' ? 'needs privileges to bind' : `cannot be bound (${error.message})`);
    });
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      server.close(() => resolve(undefined));
    });
  });
}

/**
 * The nodes of `teambooth up` as child processes (`node bin/teambooth.js node ...`). Each child runs
 * in its own process group, so a Ctrl-C reaches only `up`, which then forwards SIGTERM and waits;
 * each child also has an IPC channel and stops when `up` goes away. Output goes to its log file.
 */
export class LocalStack {
  private readonly children = new Map<string, ChildProcess>();
  private readonly exits = new Map<string, Promise<ChildExit>>();

  constructor(
    private readonly ctx: CliContext,
    private readonly specs: readonly LocalNodeSpec[],
    /** Extra arguments for every `node` command (e.g. `--config FILE`, `--log-level debug`). */
    private readonly extraArgs: readonly string[],
    /** Environment variables set for every node on top of the command's own. */
    private readonly extraEnv: Readonly<Record<string, string>> = {},
  ) {}

  /** Starts every node. `onExit` is called once per child when it ends. */
  start(onExit: (exit: ChildExit) => void): void {
    const peers = peersOf(this.specs);
    for (const spec of this.specs) {
      this.startProcess(spec, ['node', '--id', spec.id, '--listen', spec.address, '--peers', peers, '--data-dir', spec.dataDir, '--metrics-listen', spec.metricsAddress, ...this.extraArgs], {}, onExit);
    }
  }

  /**
   * Starts `teambooth ARGS...` as another process of the stack (the local agent, a bot), with
   * `env` added (secrets go there, never into arguments other users can read), its output in
   * `spec.logFile`; it is stopped with the nodes.
   */
  startProcess(spec: LocalProcessSpec, args: readonly string[], env: Readonly<Record<string, string>>, onExit: (exit: ChildExit) => void): void {
    mkdirSync(join(this.ctx.cwd, '.teambooth', 'logs'), { recursive: true });
    const fd = openSync(join(this.ctx.cwd, spec.logFile), 'a', 0o600);
    let child: ChildProcess;
    try {
      child = this.ctx.spawn(this.ctx.execPath, [this.ctx.binPath, ...args], {
        cwd: this.ctx.cwd,
        env: { ...this.ctx.env, ...this.extraEnv, ...env },
        stdio: ['ignore', fd, fd, 'ipc'],
        detached: true,
      });
    } finally {
      closeSync(fd);
    }
    this.children.set(spec.id, child);
    const exit = new Promise<ChildExit>((resolve) => {
      child.once('exit', (code, signal) => resolve({ spec, code, signal }));
      child.once('error', (error) => {
        this.ctx.stderr.write(`could not start ${spec.id}: ${error.message}\n`);
        resolve({ spec, code: null, signal: null });
      });
    });
    this.exits.set(spec.id, exit);
    void exit.then((result) => {
      this.children.delete(spec.id);
      onExit(result);
    });
  }

  /** Ids of the children still running. */
  running(): string[] {
    return [...this.children.keys()];
  }

  /** Resolves when every child has exited. */
  async allExited(): Promise<void> {
    await Promise.all(this.exits.values());
  }

  /**
   * Asks every child to stop (SIGTERM), waits up to `graceMs`, then kills what is left (SIGKILL).
   * The children named in `last` (the S3 server the others write to) are stopped only once the
   * others have exited.
   */
  async stop(graceMs: number, last: readonly string[] = []): Promise<void> {
    const first = [...this.children.keys()].filter((id) => !last.includes(id));
    await this.stopSome(first, graceMs);
    await this.stopSome([...this.children.keys()], graceMs);
  }

  private async stopSome(ids: readonly string[], graceMs: number): Promise<void> {
    for (const id of ids) this.children.get(id)?.kill('SIGTERM');
    const timer = new AbortController();
    const graceOver = this.ctx.sleep(graceMs, timer.signal).then(
      () => true,
      () => false,
    );
    const done = Promise.all(ids.map((id) => this.exits.get(id))).then(() => false);
    if (await Promise.race([done, graceOver])) {
      const left = ids.filter((id) => this.children.has(id));
      this.ctx.stderr.write(`${left.join(', ')} did not stop within ${graceMs / 1000} s; killing ${left.length === 1 ? 'it' : 'them'}\n`);
      for (const id of left) this.children.get(id)?.kill('SIGKILL');
    }
    timer.abort();
    await Promise.all(ids.map((id) => this.exits.get(id)));
  }

  /** Sends `signal` to every running child. */
  signalAll(signal: NodeJS.Signals): void {
    for (const child of this.children.values()) child.kill(signal);
  }

  /** The last `lines` lines of a process's log file ('' when it has none). */
  tail(spec: LocalProcessSpec, lines: number): string {
    try {
      const text = readFileSync(join(this.ctx.cwd, spec.logFile), 'utf8').trimEnd();
      return text.split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}
