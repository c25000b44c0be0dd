import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { freePort } from '../../cli/local-stack.ts';
import { ClusterClient } from '../../cluster/client/cluster-client.ts';
import type { NodeStatus } from '../../cluster/server/backend.ts';
import { TcpProxy } from './tcp-proxy.ts';

const BIN = resolve(import.meta.dirname, '../../bin/teambooth.js');
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

/** One `teambooth node` child process. */
export interface ProcessNode {
  id: string;
  port: number;
  address: string;
  dataDir: string;
  process: ChildProcess | undefined;
  /** Proxies this node dials its peers through, by peer id. */
  outbound: Map<string, TcpProxy>;
  log: WriteStream;
  exited: Promise<number | null>;
  /** Started with --join (a member added later). */
  join?: boolean;
}

export interface ProcessClusterOptions {
  size: number;
  /** Extra environment for every node (TEAMBOOTH_RAFT_SNAPSHOT_ENTRIES, ...). */
  env?: Record<string, string>;
  /** Peers dial each other directly, without the fault-injecting proxies (benchmarks). */
  direct?: boolean;
}

/**
 * A port the OS hands out, held until `release` so that nothing started meanwhile (the proxies
 * below listen on ports the OS picks) can be given the same one before the node binds it.
 */
async function reservePort(): Promise<{ port: number; release: () => Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return { port, release: () => new Promise<void>((r) => server.close(() => r())) };
}

/**
 * A cluster of real `teambooth node` processes on loopback, each dialing its peers through a
 * TCP proxy per direction, so tests can crash (SIGKILL), freeze (SIGSTOP) and cut nodes off
 * the network, and restart them from their data dirs.
 */
export class ProcessCluster {
  readonly nodes: ProcessNode[] = [];
  private readonly clients: ClusterClient[] = [];

  private constructor(
    readonly dir: string,
    private readonly env: Record<string, string>,
  ) {}

  static async start(options: ProcessClusterOptions): Promise<ProcessCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'teambooth-cluster-'));
    const cluster = new ProcessCluster(dir, options.env ?? {});
    const ids = Array.from({ length: options.size }, (_, i) => `n${i + 1}`);
    const reserved: Array<() => Promise<void>> = [];
    for (const id of ids) {
      const { port, release } = await reservePort();
      reserved.push(release);
      cluster.nodes.push({
        id,
        port,
        address: `127.0.0.1:${port}`,
        dataDir: join(dir, id),
        process: undefined,
        outbound: new Map(),
        log: createWriteStream(join(dir, `${id}.log`), { flags: 'a' }),
        exited: Promise.resolve(null),
      });
    }
    for (const from of options.direct ? [] : cluster.nodes) {
      for (const to of cluster.nodes) {
        if (from !== to) from.outbound.set(to.id, await TcpProxy.start({ host: '127.0.0.1', port: to.port }));
      }
    }
    for (const release of reserved) await release();
    for (const node of cluster.nodes) cluster.spawn(node);
    return cluster;
  }

  node(id: string): ProcessNode {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  /** A client of the cluster that talks to every node directly (clients are not partitioned). */
  client(options: { deadlineMs?: number; servers?: string[] } = {}): ClusterClient {
    const client = new ClusterClient({
      servers: options.servers ?? this.nodes.map((n) => n.address),
      adminToken: TEST_ADMIN_TOKEN,
      logger: pino({ level: 'silent' }),
      deadlineMs: options.deadlineMs ?? 10_000,
    });
    this.clients.push(client);
    return client;
  }

  /** Starts one more node with `--join`: it waits, empty, until `teambooth cluster add-node` adds it. */
  async startJoining(id: string): Promise<ProcessNode> {
    const port = await freePort();
    const node: ProcessNode = {
      id,
      port,
      address: `127.0.0.1:${port}`,
      dataDir: join(this.dir, id),
      process: undefined,
      outbound: new Map(),
      log: createWriteStream(join(this.dir, `${id}.log`), { flags: 'a' }),
      exited: Promise.resolve(null),
      join: true,
    };
    this.nodes.push(node);
    this.spawn(node);
    return node;
  }

  spawn(node: ProcessNode): void {
    const peers = this.nodes.map((n) => `${n.id}=${node.outbound.get(n.id)?.address ?? n.address}`).join(',');
    const child = spawn(
      process.execPath,
      // Each node dials its peers through its own proxies, so the peer lists differ: name the cluster explicitly.
      [BIN, 'node', '--id', node.id, '--listen', node.address, '--peers', peers, '--data-dir', node.dataDir, '--cluster-id', 'test-cluster', ...(node.join ? ['--join'] : [])],
      {
        env: { ...process.env, TEAMBOOTH_ADMIN_TOKEN: TEST_ADMIN_TOKEN, TEAMBOOTH_LOG_LEVEL: 'info', ...this.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout!.pipe(node.log, { end: false });
    child.stderr!.pipe(node.log, { end: false });
    node.process = child;
    node.exited = new Promise((r) => child.once('exit', (code) => r(code)));
  }

  /** SIGKILL: the process dies at once; only what it fsynced survives. */
  async kill(id: string): Promise<void> {
    const node = this.node(id);
    node.process?.kill('SIGKILL');
    await node.exited;
    node.process = undefined;
  }

  /** SIGSTOP / SIGCONT: the process freezes with its sockets open, like a long GC pause or a VM stall. */
  freeze(id: string): void {
    this.node(id).process?.kill('SIGSTOP');
  }

  thaw(id: string): void {
    this.node(id).process?.kill('SIGCONT');
  }

  restart(id: string): void {
    const node = this.node(id);
    if (node.process) throw new Error(`${id} is still running`);
    this.spawn(node);
  }

  /** Cuts `id` off from its peers in both directions (clients still reach it). */
  isolate(id: string): void {
    for (const n of this.nodes) {
      if (n.id === id) for (const p of n.outbound.values()) p.block();
      else n.outbound.get(id)?.block();
    }
  }

  heal(): void {
    for (const n of this.nodes) for (const p of n.outbound.values()) p.heal();
  }

  /** Status of every node that answers. */
  async statuses(): Promise<NodeStatus[]> {
    const probe = this.client({ deadlineMs: 1000 });
    try {
      const all = await probe.statusAll(AbortSignal.timeout(3000));
      return all.flatMap((s) => (s.status ? [s.status] : []));
    } finally {
      probe.close();
      this.clients.splice(this.clients.indexOf(probe), 1);
    }
  }

  /**
   * Waits until a leader is known and every node in `among` agrees on it; returns its id. The
   * default wait is long because starting a node process takes seconds on a loaded 2-core machine.
   */
  async waitForLeader(among: string[] = this.nodes.map((n) => n.id), timeoutMs = 40_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const statuses = (await this.statuses()).filter((s) => among.includes(s.id));
      const leaders = new Set(statuses.map((s) => s.leaderId));
      const leader = statuses.find((s) => s.role === 'leader');
      if (statuses.length === among.length && leaders.size === 1 && leader && among.includes(leader.id)) return leader.id;
      last = JSON.stringify(statuses.map((s) => [s.id, s.role, s.term, s.leaderId]));
      await new Promise((r) => setTimeout(r, 100));
    }
    const exited = this.nodes.filter((n) => n.process !== undefined && n.process.exitCode !== null).map((n) => `${n.id} (exit ${n.process!.exitCode})`);
    throw new Error(`no agreed leader among ${among.join(',')} within ${timeoutMs} ms; last seen ${last}${exited.length === 0 ? '' : `; exited: ${exited.join(', ')}`}; logs in ${this.dir}`);
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.close();
    for (const n of this.nodes) {
      if (n.process) {
        n.process.kill('SIGCONT');
        n.process.kill('SIGKILL');
        await n.exited;
      }
      for (const p of n.outbound.values()) await p.close();
      n.log.end();
    }
    if (!process.env.KEEP_TEST_DIRS) await rm(this.dir, { recursive: true, force: true });
  }
}
