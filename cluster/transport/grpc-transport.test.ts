import { execFileSync } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadProtos } from '../../proto/load.ts';
import { message, type Message } from '../raft/types.ts';
import type { ClusterBackend, TransportHandler } from '../server/backend.ts';
import { startGrpcServer, type GrpcServerHandle, type GrpcServerTls } from '../server/grpc-server.ts';
import { GrpcTransport, type GrpcTransportTls } from './grpc-transport.ts';

const CLUSTER = 'test-cluster';
const MiB = 1024 * 1024;

/** Deterministic randomness (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(random: () => number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

const unusedBackend: ClusterBackend = {
  status: () => {
    throw new Error('not used');
  },
  propose: () => Promise.reject(new Error('not used')),
  query: () => Promise.reject(new Error('not used')),
  addNode: () => Promise.reject(new Error('not used')),
  removeNode: () => Promise.reject(new Error('not used')),
  transferLeadership: () => Promise.reject(new Error('not used')),
  isAdmin: () => false,
  onChange: () => () => {},
};

interface TestNode {
  id: string;
  address: string;
  transport: GrpcTransport;
  server: GrpcServerHandle;
  received: Message[];
  unreachable: string[];
  snapshots: Array<[string, boolean]>;
  logs: Array<{ level: number; msg: string }>;
  clock: { now: number };
  close(): Promise<void>;
}

interface NodeOptions {
  clusterId?: string;
  maxMessageBytes?: number;
  maxQueuedMessages?: number;
  shutdownGraceMs?: number;
  tls?: GrpcTransportTls;
  serverTls?: GrpcServerTls;
}

const nodes: TestNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.close()));
});

async function startNode(id: string, options: NodeOptions = {}): Promise<TestNode> {
  const received: Message[] = [];
  const unreachable: string[] = [];
  const snapshots: Array<[string, boolean]> = [];
  const logs: Array<{ level: number; msg: string }> = [];
  const clock = { now: 1_000_000 };
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const handler: TransportHandler = {
    receive: (m) => received.push(m),
    unreachable: (peer) => unreachable.push(peer),
    snapshotSent: (peer, ok) => snapshots.push([peer, ok]),
  };
  const maxMessageBytes = options.maxMessageBytes ?? 8 * MiB;
  const transport = new GrpcTransport({
    selfId: id,
    clusterId: options.clusterId ?? CLUSTER,
    handler,
    logger,
    snapshotChunkBytes: 64 * 1024,
    maxMessageBytes,
    reconnectBackoff: { initialMs: 100, maxMs: 1000 },
    now: () => clock.now,
    random: seeded(7),
    ...(options.maxQueuedMessages ? { maxQueuedMessages: options.maxQueuedMessages } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
  });
  const server = await startGrpcServer({
    listen: '127.0.0.1:0',
    raft: transport.service,
    cluster: unusedBackend,
    logger,
    maxMessageBytes,
    shutdownGraceMs: options.shutdownGraceMs ?? 200,
    ...(options.serverTls ? { tls: options.serverTls } : {}),
  });
  const node: TestNode = {
    id,
    address: server.address,
    transport,
    server,
    received,
    unreachable,
    snapshots,
    logs,
    clock,
    close: async () => {
      await transport.close();
      await server.close();
    },
  };
  nodes.push(node);
  return node;
}

/** Comparable form of a message: bytes as base64. */
function plain(m: Message): unknown {
  return {
    ...m,
    context: Buffer.from(m.context).toString('base64'),
    entries: m.entries.map((e) => ({ ...e, data: Buffer.from(e.data).toString('base64') })),
  };
}

const until = (condition: () => boolean): Promise<void> =>
  vi.waitFor(() => {
    if (!condition()) throw new Error('not yet');
  }, { timeout: 15_000, interval: 5 });

function heartbeat(from: string, to: string, term: number): Message {
  return message({ type: 'heartbeat', from, to, term, commit: term });
}

describe('GrpcTransport over real sockets', () => {
  it('delivers messages intact and in order, large entries included', async () => {
    const n1 = await startNode('n1');
    const n2 = await startNode('n2');
    n1.transport.setPeers({ n1: n1.address, n2: n2.address });
    const random = seeded(42);
    const sent: Message[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const messages: Message[] = [];
      for (let i = 0; i < 50; i++) {
        const index = batch * 50 + i + 1;
        const big = index % 250 === 0; // four entries of 3 MiB, the rest small
        messages.push(
          message({
            type: index % 3 === 0 ? 'heartbeat' : 'app',
            from: 'n1',
            to: 'n2',
            term: 3,
            index,
            logTerm: 2,
            commit: index - 1,
            context: index % 7 === 0 ? randomBytes(random, 8) : new Uint8Array(0),
            entries: index % 3 === 0 ? [] : [{ term: 3, index: index + 1, type: index % 5 === 0 ? 'conf' : 'normal', data: randomBytes(random, big ? 3 * MiB : 1 + (index % 200)) }],
          }),
        );
      }
      n1.transport.send(messages);
      sent.push(...messages);
    }
    await until(() => n2.received.length >= sent.length);
    expect(n2.received.length).toBe(sent.length);
    expect(n2.received.map(plain)).toEqual(sent.map(plain));
    expect(n1.unreachable).toEqual([]);
  });

  it('streams a multi-chunk snapshot and delivers it once, whole', async () => {
    const n1 = await startNode('n1');
    const n2 = await startNode('n2');
    n1.transport.setPeers({ n2: n2.address });
    const data = randomBytes(seeded(3), MiB + 12_345); // 17 chunks of 64 KiB
    const conf = { voters: ['n1', 'n2'], learners: ['n3'], addresses: { n1: n1.address, n2: n2.address, n3: '127.0.0.1:9' } };
    n1.transport.send([
      message({ type: 'app', from: 'n1', to: 'n2', term: 5, index: 1 }),
      message({ type: 'snap', from: 'n1', to: 'n2', term: 5, snapshot: { metadata: { index: 900, term: 4, conf }, data } }),
    ]);
    await until(() => n1.snapshots.length > 0);
    expect(n1.snapshots).toEqual([['n2', true]]);
    const snaps = n2.received.filter((m) => m.type === 'snap');
    expect(snaps).toHaveLength(1);
    expect(snaps[0]!.term).toBe(5);
    expect(snaps[0]!.snapshot!.metadata).toEqual({ index: 900, term: 4, conf });
    expect(Buffer.from(snaps[0]!.snapshot!.data).equals(Buffer.from(data))).toBe(true);
  });

  it('refuses a peer of another cluster with a message naming both ids, logs it once, and keeps serving', async () => {
    const n2 = await startNode('n2');
    const n1 = await startNode('n1');
    const stranger = await startNode('n3', { clusterId: 'other-cluster' });
    stranger.transport.setPeers({ n2: n2.address });
    for (let attempt = 1; attempt <= 4; attempt++) {
      stranger.clock.now += 10_000; // past any backoff: each attempt opens a new stream
      stranger.transport.send([heartbeat('n3', 'n2', attempt)]);
      await until(() => stranger.unreachable.length >= attempt);
    }
    expect(stranger.unreachable).toEqual(['n2', 'n2', 'n2', 'n2']);
    const refusals = n2.logs.filter((l) => /refused SendBatch from n3/.test(l.msg));
    expect(refusals).toHaveLength(1); // rate-limited: four refusals, one line
    expect(refusals[0]!.msg).toContain('"other-cluster"');
    expect(refusals[0]!.msg).toContain(`"${CLUSTER}"`);
    const senderLines = stranger.logs.filter((l) => l.msg.includes('FAILED_PRECONDITION'));
    expect(senderLines.length).toBe(1);
    expect(senderLines[0]!.msg).toMatch(/other-cluster.*test-cluster/);

    n1.transport.setPeers({ n2: n2.address });
    n1.transport.send([heartbeat('n1', 'n2', 8)]);
    await until(() => n2.received.length === 1);
    expect(n2.received[0]).toMatchObject({ from: 'n1', term: 8 });
  });

  it('refuses a call meant for another node id and reports a snapshot to it as failed', async () => {
    const n2 = await startNode('n2');
    const n1 = await startNode('n1');
    n1.transport.setPeers({ n3: n2.address }); // n1 believes n3 listens where n2 does
    n1.transport.send([heartbeat('n1', 'n3', 1)]);
    await until(() => n1.unreachable.length > 0);
    expect(n2.logs.some((l) => l.msg.includes('meant for node "n3" but this is node "n2"'))).toBe(true);
    n1.transport.send([message({ type: 'snap', from: 'n1', to: 'n3', term: 1, snapshot: { metadata: { index: 1, term: 1, conf: { voters: [], learners: [], addresses: {} } }, data: new Uint8Array(10) } })]);
    await until(() => n1.snapshots.length > 0);
    expect(n1.snapshots).toEqual([['n3', false]]);
    expect(n2.received).toEqual([]);
  });

  it('drops a message over maxMessageBytes with a clear log line and keeps the stream', async () => {
    const n1 = await startNode('n1', { maxMessageBytes: MiB });
    const n2 = await startNode('n2', { maxMessageBytes: MiB });
    n1.transport.setPeers({ n2: n2.address });
    n1.transport.send([
      message({ type: 'app', from: 'n1', to: 'n2', term: 1, entries: [{ term: 1, index: 1, type: 'normal', data: new Uint8Array(2 * MiB) }] }),
      heartbeat('n1', 'n2', 1),
    ]);
    await until(() => n2.received.length === 1 && n1.unreachable.length === 1);
    expect(n2.received[0]!.type).toBe('heartbeat');
    expect(n1.unreachable).toEqual(['n2']);
    expect(n1.logs.some((l) => /larger than maxMessageBytes \(1048576\).*maxSizePerMsg/.test(l.msg))).toBe(true);
  });

  it("explains a refusal by the receiver's smaller message limit, then reconnects", async () => {
    const n1 = await startNode('n1', { maxMessageBytes: 8 * MiB });
    const n2 = await startNode('n2', { maxMessageBytes: MiB });
    n1.transport.setPeers({ n2: n2.address });
    n1.transport.send([message({ type: 'app', from: 'n1', to: 'n2', term: 1, entries: [{ term: 1, index: 1, type: 'normal', data: new Uint8Array(2 * MiB) }] })]);
    await until(() => n1.unreachable.length === 1);
    expect(n1.logs.some((l) => l.msg.includes('RESOURCE_EXHAUSTED') && l.msg.includes('same maxMessageBytes on every node'))).toBe(true);
    n1.clock.now += 10_000;
    n1.transport.send([heartbeat('n1', 'n2', 2)]);
    await until(() => n2.received.length === 1);
    expect(n2.received[0]!.term).toBe(2);
  });

  it('drops and reports unreachable when the stream to a stalled peer is full', async () => {
    // A TCP server that accepts connections and never answers: the stream never drains.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const n1 = await startNode('n1', { maxQueuedMessages: 10 });
      const { port } = silent.address() as { port: number };
      n1.transport.setPeers({ n2: `127.0.0.1:${port}` });
      n1.transport.send(Array.from({ length: 30 }, (_, i) => heartbeat('n1', 'n2', i + 1)));
      await until(() => n1.unreachable.length === 1);
      expect(n1.logs.some((l) => /stream to n2 .* is full \(10 messages/.test(l.msg))).toBe(true);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('also accepts single messages on the plain Send stream (for tools that speak raft.proto)', async () => {
    const n2 = await startNode('n2');
    const raft = loadProtos().raft.Raft;
    const client = new raft(n2.address, grpc.credentials.createInsecure());
    try {
      const metadata = new grpc.Metadata();
      metadata.set('x-teambooth-cluster-id', CLUSTER);
      metadata.set('x-teambooth-from', 'n1');
      metadata.set('x-teambooth-to', 'n2');
      const done = new Promise<void>((resolve, reject) => {
        const call = client.Send(metadata, (error) => (error ? reject(error) : resolve()));
        call.write({ type: 'VOTE', from: 'n1', to: 'n2', term: 4, index: 10, logTerm: 3 });
        call.write({ type: 'HEARTBEAT', from: 'n1', to: 'n2', term: 4, commit: 9 });
        call.end();
      });
      await done;
      expect(n2.received.map((m) => [m.type, m.term, m.index, m.commit])).toEqual([
        ['vote', 4, 10, 0],
        ['heartbeat', 4, 0, 9],
      ]);
    } finally {
      client.close();
    }
  });

  it('refuses a malformed stream with a message naming the problem and keeps serving', async () => {
    const n2 = await startNode('n2');
    const client = new grpc.Client(n2.address, grpc.credentials.createInsecure());
    try {
      const metadata = new grpc.Metadata();
      metadata.set('x-teambooth-cluster-id', CLUSTER);
      metadata.set('x-teambooth-from', 'n1');
      metadata.set('x-teambooth-to', 'n2');
      const path = loadProtos().raft.Raft.service.SendBatch.path;
      const error = await new Promise<grpc.ServiceError | null>((resolve) => {
        const call = client.makeClientStreamRequest(path, (b: Buffer) => b, () => ({}), metadata, {}, (e) => resolve(e));
        call.write(Buffer.from([0x0a, 0x04, 0x08, 0x63, 0x20, 0x01])); // a batch holding a message of type 99
        call.end();
      });
      expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error?.details).toBe('refused a malformed raft message from n1: unknown message type 99');
      expect(n2.logs.some((l) => l.msg === error?.details)).toBe(true);
    } finally {
      client.close();
    }
    const n1 = await startNode('n1');
    n1.transport.setPeers({ n2: n2.address });
    n1.transport.send([heartbeat('n1', 'n2', 3)]);
    await until(() => n2.received.length === 1);
  });

  it('follows a peer to its new address after setPeers', async () => {
    const n1 = await startNode('n1');
    const before = await startNode('n2');
    n1.transport.setPeers({ n2: before.address });
    n1.transport.send([heartbeat('n1', 'n2', 1)]);
    await until(() => before.received.length === 1);
    const after = await startNode('n2');
    n1.transport.setPeers({ n2: after.address });
    n1.transport.send([heartbeat('n1', 'n2', 2)]);
    await until(() => after.received.length === 1);
    expect(after.received[0]!.term).toBe(2);
    expect(before.received).toHaveLength(1);
  });

  it('closes its server without waiting for the streams peers keep open, and the peers hear why', async () => {
    const n2 = await startNode('n2', { shutdownGraceMs: 10 * 60_000 }); // waiting out this grace would time the test out
    const n1 = await startNode('n1');
    n1.transport.setPeers({ n2: n2.address });
    n1.transport.send([heartbeat('n1', 'n2', 1)]);
    await until(() => n2.received.length === 1);
    await n2.server.close(); // the server alone: it must end the inbound Raft streams itself
    await until(() => n1.unreachable.length === 1);
    expect(n1.logs.some((l) => l.msg.includes('UNAVAILABLE n2 is shutting down'))).toBe(true);
  });

  it('reports a peer that does not listen as unreachable, and backs off before reconnecting', async () => {
    const n1 = await startNode('n1');
    const gone = await startNode('n2');
    const address = gone.address;
    await gone.close();
    n1.transport.setPeers({ n2: address });
    n1.transport.send([heartbeat('n1', 'n2', 1)]);
    await until(() => n1.unreachable.length === 1);
    n1.transport.send([heartbeat('n1', 'n2', 2), heartbeat('n1', 'n2', 3)]); // within the backoff: dropped
    await until(() => n1.unreachable.length === 2);
    expect(n1.unreachable).toEqual(['n2', 'n2']);
  });
});

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Creates a CA and certificates for 127.0.0.1 signed by it, with openssl. */
function makeCertificates(dir: string, caName: string, names: string[]): { ca: string; certs: Record<string, { cert: string; key: string }> } {
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', `${caName}.key`, '-out', `${caName}.pem`, '-days', '1', '-subj', `/CN=${caName}`);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  const certs: Record<string, { cert: string; key: string }> = {};
  for (const name of names) {
    run('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.pem`, '-CAkey', `${caName}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', 'ext.cnf');
    certs[name] = { cert: readFileSync(join(dir, `${name}.pem`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
  }
  return { ca: readFileSync(join(dir, `${caName}.pem`), 'utf8'), certs };
}

describe('GrpcTransport with mutual TLS', () => {
  it.skipIf(!hasOpenssl)('delivers between peers with certificates of the cluster CA and refuses a peer with another CA (skipped without the openssl command, which makes the certificates)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'teambooth-tls-'));
    try {
      const cluster = makeCertificates(dir, 'cluster-ca', ['n1', 'n2']);
      const rogue = makeCertificates(dir, 'rogue-ca', ['n3']);
      const tls = (name: string) => ({ ca: cluster.ca, ...cluster.certs[name]! });
      const n1 = await startNode('n1', { tls: tls('n1'), serverTls: tls('n1') });
      const n2 = await startNode('n2', { tls: tls('n2'), serverTls: tls('n2') });
      // n3 trusts the cluster CA (so it accepts n2's server certificate) but its own certificate is from another CA.
      const n3 = await startNode('n3', { tls: { ca: cluster.ca, ...rogue.certs['n3']! } });
      n1.transport.setPeers({ n2: n2.address });
      n3.transport.setPeers({ n2: n2.address });
      n1.transport.send([heartbeat('n1', 'n2', 1), message({ type: 'app', from: 'n1', to: 'n2', term: 1, entries: [{ term: 1, index: 1, type: 'normal', data: new Uint8Array([1, 2]) }] })]);
      n3.transport.send([heartbeat('n3', 'n2', 1)]);
      await until(() => n2.received.length === 2 && n3.unreachable.length === 1);
      expect(n2.received.map((m) => m.from)).toEqual(['n1', 'n1']);
      expect(n3.unreachable).toEqual(['n2']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
