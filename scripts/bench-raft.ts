/**
 * `npm run bench:raft [-- --seconds N --failovers N]`: a 3-node Teambooth cluster on loopback
 * (real processes, gRPC, fsync). Prints committed writes per second and p50/p99 commit latency
 * at 1, 16 and 256 concurrent clients, and the failover time (SIGKILL the leader, time until the
 * next write succeeds). The baseline, measured in the same run on the same machine with the
 * same client stack and concurrency, is a 3-member etcd cluster when `etcd` is installed
 * (Debian: `apt-get install etcd-server etcd-client`).
 */
import net from 'node:net';
import { parseArgs } from 'node:util';
import { ProcessCluster } from '../test/support/process-cluster.ts';
import { EtcdCluster, etcdAvailable, etcdPutter } from './bench/etcd-cluster.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, failovers: { type: 'string', default: '5' } } });
const DURATION_MS = Number(values.seconds) * 1000;
const FAILOVERS = Number(values.failovers);
const CONCURRENCY = [1, 16, 256];
const VALUE = 'v'.repeat(100);

interface Figures {
  writesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  writes: number;
}

type Put = (key: string, value: string) => Promise<unknown>;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** `concurrency` closed-loop clients, each writing one key after another, for DURATION_MS after a warm-up. */
async function measure(put: Put, concurrency: number): Promise<Figures> {
  const warmupEnd = performance.now() + 500;
  const end = warmupEnd + DURATION_MS;
  const latencies: number[] = [];
  const worker = async (w: number) => {
    for (let i = 0; ; i++) {
      const start = performance.now();
      if (start >= end) return;
      await put(`bench-${concurrency}-${w}-${i}`, VALUE);
      const done = performance.now();
      if (start >= warmupEnd && done <= end) latencies.push(done - start);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  latencies.sort((a, b) => a - b);
  return {
    writesPerSec: latencies.length / (DURATION_MS / 1000),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    writes: latencies.length,
  };
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((r) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => r(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function benchTeambooth(): Promise<{ figures: Map<number, Figures>; failoverMs: number[] }> {
  const cluster = await ProcessCluster.start({ size: 3, direct: true, env: { TEAMBOOTH_LOG_LEVEL: 'warn' } });
  try {
    await cluster.waitForLeader();
    const client = cluster.client({ deadlineMs: 30_000 });
    const put: Put = (key, value) => client.propose({ type: 'put', key, value });
    const figures = new Map<number, Figures>();
    for (const c of CONCURRENCY) figures.set(c, await measure(put, c));

    const failoverMs: number[] = [];
    for (let i = 0; i < FAILOVERS; i++) {
      const leader = await cluster.waitForLeader();
      await put('before-failover', VALUE);
      const start = performance.now();
      await cluster.kill(leader);
      await put(`after-failover-${i}`, VALUE);
      failoverMs.push(performance.now() - start);
      cluster.restart(leader);
      await cluster.waitForLeader();
    }
    return { figures, failoverMs };
  } finally {
    await cluster.close();
  }
}

async function benchEtcd(): Promise<Map<number, Figures> | undefined> {
  if (!etcdAvailable()) return undefined;
  const etcd = await EtcdCluster.start(await freePorts(6));
  try {
    const putter = etcdPutter(await etcd.leaderEndpoint());
    const figures = new Map<number, Figures>();
    for (const c of CONCURRENCY) figures.set(c, await measure(putter.put, c));
    putter.close();
    return figures;
  } finally {
    await etcd.close();
  }
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

const ours = await benchTeambooth();
const etcd = await benchEtcd();
console.log(`Raft benchmark: 3 nodes on loopback, ${DURATION_MS / 1000} s per level, 100-byte values, closed-loop clients`);
console.log('clients | teambooth writes/s | p50 ms | p99 ms | etcd writes/s | p50 ms | p99 ms | ratio (teambooth/etcd)');
for (const c of CONCURRENCY) {
  const t = ours.figures.get(c)!;
  const e = etcd?.get(c);
  console.log(
    [c, fmt(t.writesPerSec), fmt(t.p50Ms, 2), fmt(t.p99Ms, 2), fmt(e?.writesPerSec ?? NaN), fmt(e?.p50Ms ?? NaN, 2), fmt(e?.p99Ms ?? NaN, 2), e ? fmt(t.writesPerSec / e.writesPerSec, 2) : 'no etcd installed'].join(' | '),
  );
}
const sorted = [...ours.failoverMs].sort((a, b) => a - b);
console.log(`failover (SIGKILL leader -> next write committed), ${sorted.length} runs: median ${fmt(percentile(sorted, 50))} ms, max ${fmt(sorted[sorted.length - 1] ?? NaN)} ms; runs: ${sorted.map((x) => fmt(x)).join(', ')}`);
