import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CommandRejectedError, NotLeaderError, UnauthenticatedError } from '../raft/errors.ts';
import type { ClusterBackend, NodeStatus, ProposeRequest } from '../server/backend.ts';
import { startGrpcServer, type GrpcServerHandle } from '../server/grpc-server.ts';
import { GrpcTransport } from '../transport/grpc-transport.ts';
import { ClusterUnavailableError } from './client-errors.ts';
import { ClusterClient, type ClusterClientOptions } from './cluster-client.ts';

const ADMIN = 'admin-secret';
const CONF = { voters: ['n1', 'n2'], learners: ['n3'], addresses: { n1: 'a:1', n2: 'b:2', n3: 'c:3' } };
const silent = pino({ level: 'silent' });

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

interface FakeNode {
  server: GrpcServerHandle;
  address: string;
  /** Every propose request that reached this node's backend, in order. */
  proposals: ProposeRequest[];
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Starts a node whose backend proposes with `propose` (default: apply and answer the seq). */
async function startNode(id: string, backend: Partial<ClusterBackend> = {}): Promise<FakeNode> {
  const proposals: ProposeRequest[] = [];
  const transport = new GrpcTransport({
    selfId: id,
    clusterId: 'c1',
    handler: { receive: () => {}, unreachable: () => {}, snapshotSent: () => {} },
    logger: silent,
    snapshotChunkBytes: 1024,
    maxMessageBytes: 1024 * 1024,
  });
  const status: NodeStatus = {
    id,
    address: '',
    clusterId: 'c1',
    role: 'follower',
    term: 2,
    commitIndex: 5,
    appliedIndex: 5,
    leaderId: 'n2',
    leaderAddress: '',
    conf: CONF,
    modelVersion: '',
  };
  const propose = backend.propose ?? (async (request: ProposeRequest) => JSON.stringify({ by: id, seq: request.seq }));
  const full: ClusterBackend = {
    status: () => status,
    query: async (request) => JSON.stringify({ by: id, stale: request.stale, query: JSON.parse(request.query) }),
    addNode: async () => CONF,
    removeNode: async () => CONF,
    transferLeadership: async () => {},
    isAdmin: (token) => token === ADMIN,
    onChange: () => () => {},
    ...backend,
    propose: (request, signal) => {
      proposals.push(request);
      return propose(request, signal);
    },
  };
  const server = await startGrpcServer({ listen: '127.0.0.1:0', raft: transport.service, cluster: full, logger: silent, maxMessageBytes: 1024 * 1024, shutdownGraceMs: 0 });
  status.address = server.address;
  cleanups.push(() => server.close());
  return { server, address: server.address, proposals };
}

/** An address where nothing listens (a server was bound there and closed). */
async function deadAddress(): Promise<string> {
  const node = await startNode('gone');
  await node.server.close();
  return node.address;
}

function client(options: Partial<ClusterClientOptions> & Pick<ClusterClientOptions, 'servers'>): ClusterClient {
  const c = new ClusterClient({ adminToken: ADMIN, logger: silent, clientId: 'client-1', random: seeded(11), ...options });
  cleanups.push(() => c.close());
  return c;
}

describe('ClusterClient', () => {
  it("follows a follower's leader hint to another server and remembers the leader", async () => {
    const leader = await startNode('n2');
    const follower = await startNode('n1', { propose: async () => Promise.reject(new NotLeaderError('n2', leader.address)) });
    const c = client({ servers: [follower.address] });
    expect(await c.propose({ op: 'token.create' })).toEqual({ by: 'n2', seq: 1 });
    expect(await c.propose({ op: 'token.create' })).toEqual({ by: 'n2', seq: 2 });
    expect(follower.proposals).toHaveLength(1); // the second write went straight to the leader
    expect(leader.proposals.map((p) => [p.clientId, p.seq, p.command])).toEqual([
      ['client-1/0', 1, '{"op":"token.create"}'],
      ['client-1/0', 2, '{"op":"token.create"}'],
    ]);
  });

  it('retries a write whose answer was lost with the same (clientId, seq), so it applies once', async () => {
    const next = await startNode('n2');
    let crashed!: FakeNode;
    // The first leader applies the command, then dies before it can answer.
    crashed = await startNode('n1', {
      propose: async () => {
        void crashed.server.close();
        return new Promise<string>(() => {});
      },
    });
    const c = client({ servers: [crashed.address, next.address] });
    expect(await c.propose({ op: 'x' })).toEqual({ by: 'n2', seq: 1 });
    expect(crashed.proposals).toEqual([{ clientId: 'client-1/0', seq: 1, command: '{"op":"x"}' }]);
    expect(next.proposals).toEqual([{ clientId: 'client-1/0', seq: 1, command: '{"op":"x"}' }]);
    await c.propose({ op: 'y' });
    expect(next.proposals[1]).toEqual({ clientId: 'client-1/0', seq: 2, command: '{"op":"y"}' });
  });

  it('waits for an election with backoff, reusing the same seq on every retry', async () => {
    let refusals = 2;
    const node = await startNode('n1', {
      propose: async (request) => (refusals-- > 0 ? Promise.reject(new NotLeaderError('', '')) : JSON.stringify({ seq: request.seq })),
    });
    const c = client({ servers: [node.address] });
    expect(await c.propose({ op: 'x' })).toEqual({ seq: 1 });
    expect(node.proposals.map((p) => `${p.clientId}#${p.seq}`)).toEqual(['client-1/0#1', 'client-1/0#1', 'client-1/0#1']);
  });

  it('pipelines concurrent proposals, each with an exactly-once session of its own', async () => {
    const inFlight = { count: 0, max: 0 };
    let release!: () => void;
    let gate = new Promise<void>((resolve) => (release = resolve));
    const node = await startNode('n1', {
      propose: async (request) => {
        inFlight.max = Math.max(inFlight.max, ++inFlight.count);
        if (inFlight.count === 20) release();
        await gate;
        inFlight.count--;
        return JSON.stringify(request.seq);
      },
    });
    const c = client({ servers: [node.address] });
    const first = await Promise.all(Array.from({ length: 20 }, (_, i) => c.propose({ i })));
    expect(inFlight.max).toBe(20); // all twenty were at the server at once: no client-side lock
    expect(first).toEqual(Array(20).fill(1));
    const sessions = new Set(node.proposals.map((p) => p.clientId));
    expect(sessions.size).toBe(20);

    gate = new Promise<void>((resolve) => (release = resolve));
    await Promise.all(Array.from({ length: 20 }, (_, i) => c.propose({ i })));
    const second = node.proposals.slice(20);
    expect(new Set(second.map((p) => p.clientId))).toEqual(sessions); // sessions are reused...
    expect(second.every((p) => p.seq === 2)).toBe(true); // ...each with its next sequence number
  });

  it('refuses at once without the admin token, saying what to set', async () => {
    const node = await startNode('n1');
    const c = client({ servers: [node.address], adminToken: undefined });
    const error = await c.propose({ op: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect((error as Error).message).toMatch(/needs the admin token: set TEAMBOOTH_ADMIN_TOKEN/);
    expect(node.proposals).toEqual([]);
  });

  it('throws rejected commands typed, without retrying', async () => {
    const node = await startNode('n1', { propose: async () => Promise.reject(new CommandRejectedError('token zxq is taken', 'already_exists')) });
    const c = client({ servers: [node.address] });
    const error = await c.propose({ op: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandRejectedError);
    expect(error).toMatchObject({ code: 'already_exists', message: 'token zxq is taken' });
    expect(node.proposals).toHaveLength(1);
  });

  it('says no leader is reachable, naming the servers, once the deadline passes', async () => {
    const dead = [await deadAddress(), await deadAddress()];
    const c = client({ servers: dead, deadlineMs: 300 });
    const error = await c.propose({ op: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toMatch(
      // The last error is whichever server the client tried last before the deadline.
      new RegExp(`^no leader reachable at ${dead[0]}, ${dead[1]} within 300 ms: is the cluster running.*\\(last error: (${dead[0]}|${dead[1]}) is unreachable`),
    );
  });

  it('skips an unreachable server', async () => {
    const node = await startNode('n2');
    const c = client({ servers: [await deadAddress(), node.address] });
    expect(await c.propose({ op: 'x' })).toEqual({ by: 'n2', seq: 1 });
    expect(await c.query({ q: 1 }, { stale: true })).toEqual({ by: 'n2', stale: true, query: { q: 1 } });
  });

  it('reports status per server, with an error for the ones that do not answer', async () => {
    const node = await startNode('n1');
    const dead = await deadAddress();
    const c = client({ servers: [node.address, dead], deadlineMs: 2000 });
    const all = await c.statusAll();
    expect(all[0]).toEqual({ server: node.address, status: expect.objectContaining({ id: 'n1', role: 'follower', conf: CONF, address: node.address }) });
    expect(all[1]!.server).toBe(dead);
    expect(all[1]!.error).toMatch(/unreachable/);
  });

  it('runs membership calls through the leader', async () => {
    const node = await startNode('n1');
    const c = client({ servers: [node.address] });
    expect(await c.addNode('n3', 'c:3')).toEqual(CONF);
    expect(await c.removeNode('n3')).toEqual(CONF);
    await expect(c.transferLeadership('n2')).resolves.toBeUndefined();
  });

  it("stops at once when the caller's signal aborts, and the server sees the cancellation", async () => {
    const seen: AbortSignal[] = [];
    const node = await startNode('n1', {
      propose: (_request, signal) => {
        seen.push(signal);
        return new Promise<string>(() => {});
      },
    });
    const c = client({ servers: [node.address] });
    const controller = new AbortController();
    const pending = c.propose({ op: 'x' }, controller.signal).catch((e: unknown) => e);
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    controller.abort(new Error('user gave up'));
    expect(await pending).toMatchObject({ message: 'user gave up' });
    await vi.waitFor(() => expect(seen[0]!.aborted).toBe(true));
  });

  it('refuses bad options with a message saying what to pass', () => {
    expect(() => new ClusterClient({ servers: [], logger: silent })).toThrow(/no cluster servers given/);
    expect(() => new ClusterClient({ servers: ['localhost'], logger: silent })).toThrow(/"localhost" is not host:port/);
  });
});
