import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const run = promisify(execFile);

/** Whether an `etcd` binary is on the PATH (Debian: `apt-get install etcd-server etcd-client`). */
export function etcdAvailable(): boolean {
  return spawnSync('etcd', ['--version']).status === 0;
}

/**
 * A 3-member etcd cluster on loopback, started from the system's `etcd` binary, used as the
 * baseline of `npm run bench:raft`: the same machine, disk and client code path.
 */
export class EtcdCluster {
  private constructor(
    private readonly dir: string,
    private readonly procs: ChildProcess[],
    readonly clientUrls: string[],
  ) {}

  static async start(ports: number[]): Promise<EtcdCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'teambooth-etcd-'));
    const names = ['e1', 'e2', 'e3'];
    const peer = (i: number) => `http://127.0.0.1:${ports[3 + i]}`;
    const client = (i: number) => `http://127.0.0.1:${ports[i]}`;
    const initial = names.map((n, i) => `${n}=${peer(i)}`).join(',');
    const procs = names.map((name, i) =>
      spawn(
        'etcd',
        [
          '--name', name,
          '--data-dir', join(dir, name),
          '--listen-client-urls', client(i),
          '--advertise-client-urls', client(i),
          '--listen-peer-urls', peer(i),
          '--initial-advertise-peer-urls', peer(i),
          '--initial-cluster', initial,
          '--initial-cluster-state', 'new',
          '--initial-cluster-token', 'teambooth-bench',
          '--log-level', 'error',
        ],
        { stdio: 'ignore' },
      ),
    );
    const cluster = new EtcdCluster(dir, procs, names.map((_, i) => client(i)));
    await cluster.waitHealthy();
    return cluster;
  }

  private async waitHealthy(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if ((await this.leaderEndpoint().catch(() => '')) !== '') return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('etcd did not become healthy within 30 s');
  }

  /** The client URL of the current leader (found with `etcdctl endpoint status`). */
  async leaderEndpoint(): Promise<string> {
    const { stdout } = await run('etcdctl', ['--endpoints', this.clientUrls.join(','), 'endpoint', 'status', '-w', 'json'], {
      env: { ...process.env, ETCDCTL_API: '3' },
    });
    const rows = JSON.parse(stdout) as Array<{ Endpoint: string; Status: { header: { member_id: number }; leader: number } }>;
    const leader = rows.find((r) => r.Status.header.member_id === r.Status.leader);
    return leader ? leader.Endpoint : '';
  }

  async close(): Promise<void> {
    for (const p of this.procs) p.kill('SIGKILL');
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A Put function over etcd's gRPC KV service (the same @grpc/grpc-js stack our client uses). */
export function etcdPutter(endpoint: string): { put: (key: string, value: string) => Promise<void>; close: () => void } {
  const definition = protoLoader.loadSync(resolve(import.meta.dirname, 'etcd-kv.proto'), { longs: Number });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    etcdserverpb: { KV: new (address: string, creds: grpc.ChannelCredentials) => grpc.Client & Record<string, Function> };
  };
  const client = new pkg.etcdserverpb.KV(endpoint.replace('http://', ''), grpc.credentials.createInsecure());
  return {
    put: (key, value) =>
      new Promise((resolvePut, reject) => {
        client.Put({ key: Buffer.from(key), value: Buffer.from(value) }, (error: Error | null) => (error ? reject(error) : resolvePut()));
      }),
    close: () => client.close(),
  };
}
