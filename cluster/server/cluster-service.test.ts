import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadProtos } from '../../proto/load.ts';
import type { ClusterClient as ClusterGrpcClient } from '../../proto/generated/teambooth/cluster/Cluster.ts';
import type { ProposeResponse__Output } from '../../proto/generated/teambooth/cluster/ProposeResponse.ts';
import type { QueryResponse__Output } from '../../proto/generated/teambooth/cluster/QueryResponse.ts';
import { CommandRejectedError, ConfChangeError, NotLeaderError, ProposalDroppedError } from '../raft/errors.ts';
import type { ClusterBackend, NodeStatus } from './backend.ts';
import { startGrpcServer, type GrpcServerHandle } from './grpc-server.ts';
import { ERROR_METADATA } from './grpc-status.ts';
import { GrpcTransport } from '../transport/grpc-transport.ts';

const ADMIN = 'admin-secret';
const CONF = { voters: ['n1', 'n2', 'n3'], learners: [], addresses: { n1: '127.0.0.1:7001', n2: '127.0.0.1:7002', n3: '127.0.0.1:7003' } };
const STATUS: NodeStatus = {
  id: 'n1',
  address: '127.0.0.1:7001',
  clusterId: 'c1',
  role: 'leader',
  term: 3,
  commitIndex: 2 ** 40,
  appliedIndex: 17,
  leaderId: 'n1',
  leaderAddress: '127.0.0.1:7001',
  conf: CONF,
  modelVersion: 'v12',
};

function fakeBackend(overrides: Partial<ClusterBackend> = {}): ClusterBackend {
  return {
    status: () => STATUS,
    propose: vi.fn(async (request) => JSON.stringify({ applied: request.seq })),
    query: vi.fn(async (request) => JSON.stringify({ echo: JSON.parse(request.query), stale: request.stale })),
    addNode: vi.fn(async () => CONF),
    removeNode: vi.fn(async () => CONF),
    transferLeadership: vi.fn(async () => {}),
    isAdmin: (token) => token === ADMIN,
    onChange: () => () => {},
    ...overrides,
  };
}

/** The Raft service of a transport nobody sends to: startGrpcServer always serves one. */
const noopRaft = new GrpcTransport({
  selfId: 'n1',
  clusterId: 'c1',
  handler: { receive: () => {}, unreachable: () => {}, snapshotSent: () => {} },
  logger: pino({ level: 'silent' }),
  snapshotChunkBytes: 1024,
  maxMessageBytes: 1024 * 1024,
}).service;

interface Started {
  server: GrpcServerHandle;
  client: ClusterGrpcClient;
  logs: Array<{ level: number; msg: string; err?: { message: string } }>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function start(backend: ClusterBackend): Promise<Started> {
  const logs: Started['logs'] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const server = await startGrpcServer({ listen: '127.0.0.1:0', raft: noopRaft, cluster: backend, logger, maxMessageBytes: 4 * 1024 * 1024, shutdownGraceMs: 100 });
  const client = new (loadProtos().cluster.Cluster)(server.address, grpc.credentials.createInsecure());
  cleanups.push(async () => {
    client.close();
    await server.close();
  });
  return { server, client, logs };
}

function admin(token = ADMIN): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** Calls a unary method and resolves with the response or the error. */
function call<Res>(invoke: (callback: (error: grpc.ServiceError | null, response?: Res) => void) => unknown): Promise<{ error?: grpc.ServiceError; response?: Res }> {
  return new Promise((resolve) => {
    invoke((error, response) => resolve(error ? { error } : { response: response! }));
  });
}

describe('Cluster service', () => {
  it('answers Status and Query without the admin token', async () => {
    const { client } = await start(fakeBackend());
    const status = await call((cb) => client.Status({}, cb));
    expect(status.response).toMatchObject({ id: 'n1', role: 'leader', commitIndex: 2 ** 40, modelVersion: 'v12', conf: { voters: ['n1', 'n2', 'n3'] } });
    const query = await call<QueryResponse__Output>((cb) => client.Query({ query: '{"kind":"agents"}', stale: true }, cb));
    expect(JSON.parse(query.response!.result)).toEqual({ echo: { kind: 'agents' }, stale: true });
  });

  it('refuses Propose without the admin token, naming the variable to set, and never reaches the backend', async () => {
    const backend = fakeBackend();
    const { client } = await start(backend);
    const missing = await call((cb) => client.Propose({ clientId: 'c', seq: 1, command: '{}' }, cb));
    expect(missing.error?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(missing.error?.details).toContain('this call needs the admin token');
    expect(missing.error?.details).toContain('TEAMBOOTH_ADMIN_TOKEN');
    const wrong = await call((cb) => client.Propose({ clientId: 'c', seq: 1, command: '{}' }, admin('guess'), cb));
    expect(wrong.error?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(wrong.error?.details).toContain('refused');
    const membership = await call((cb) => client.AddNode({ nodeId: 'n4', address: '127.0.0.1:7004' }, cb));
    expect(membership.error?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(backend.propose).not.toHaveBeenCalled();
    expect(backend.addNode).not.toHaveBeenCalled();

    const ok = await call<ProposeResponse__Output>((cb) => client.Propose({ clientId: 'c', seq: 5, command: '{"op":"x"}' }, admin(), cb));
    expect(JSON.parse(ok.response!.result)).toEqual({ applied: 5 });
    expect(backend.propose).toHaveBeenCalledWith({ clientId: 'c', seq: 5, command: '{"op":"x"}' }, expect.any(AbortSignal));
  });

  it('refuses malformed requests with INVALID_ARGUMENT naming the field', async () => {
    const backend = fakeBackend();
    const { client } = await start(backend);
    const cases: Array<[() => Promise<{ error?: grpc.ServiceError }>, RegExp]> = [
      [() => call((cb) => client.Propose({ seq: 1, command: '{}' }, admin(), cb)), /ProposeRequest\.client_id is required/],
      [() => call((cb) => client.Propose({ clientId: 'c', command: '{}' }, admin(), cb)), /ProposeRequest\.seq must be/],
      [() => call((cb) => client.Propose({ clientId: 'c', seq: 1, command: '{oops' }, admin(), cb)), /ProposeRequest\.command is not valid JSON/],
      [() => call((cb) => client.Propose({ clientId: 'c', seq: 1, command: `"${'x'.repeat(1024 * 1024)}"` }, admin(), cb)), /ProposeRequest\.command is 1048578 bytes; the limit is 1048576/],
      [() => call((cb) => client.Query({}, cb)), /QueryRequest\.query is required/],
      [() => call((cb) => client.AddNode({ nodeId: 'n4', address: 'no-port' }, admin(), cb)), /AddNodeRequest\.address "no-port" is not host:port/],
      [() => call((cb) => client.AddNode({ nodeId: 'bad id', address: '127.0.0.1:1' }, admin(), cb)), /AddNodeRequest\.node_id "bad id"/],
      [() => call((cb) => client.RemoveNode({}, admin(), cb)), /RemoveNodeRequest\.node_id is required/],
      [() => call((cb) => client.TransferLeader({}, admin(), cb)), /TransferLeaderRequest\.node_id is required/],
    ];
    for (const [run, details] of cases) {
      const { error } = await run();
      expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error?.details).toMatch(details);
    }
    expect(backend.propose).not.toHaveBeenCalled();
  });

  it('maps typed errors to status, with the leader hint in trailing metadata', async () => {
    const errors = [
      new NotLeaderError('n2', '127.0.0.1:7002'),
      new ProposalDroppedError('leadership transfer in progress'),
      new ConfChangeError('a membership change is already in progress'),
      new CommandRejectedError('token zxq is taken', 'already_exists'),
      new CommandRejectedError('no agent a1', 'not_found'),
    ];
    let next = 0;
    const { client } = await start(fakeBackend({ propose: async () => Promise.reject(errors[next++]) }));
    const results = [];
    for (let i = 0; i < errors.length; i++) results.push((await call((cb) => client.Propose({ clientId: 'c', seq: 1, command: '{}' }, admin(), cb))).error!);
    expect(results.map((e) => grpc.status[e.code])).toEqual(['UNAVAILABLE', 'UNAVAILABLE', 'FAILED_PRECONDITION', 'ALREADY_EXISTS', 'NOT_FOUND']);
    expect(results[0]!.metadata.get(ERROR_METADATA.leaderId)).toEqual(['n2']);
    expect(results[0]!.metadata.get(ERROR_METADATA.leaderAddress)).toEqual(['127.0.0.1:7002']);
    expect(results[3]!.details).toBe('token zxq is taken');
  });

  it('hides unexpected errors behind INTERNAL and logs them', async () => {
    const { client, logs } = await start(fakeBackend({ query: async () => Promise.reject(new Error('ENOENT /var/lib/secret/wal')) }));
    const { error } = await call((cb) => client.Query({ query: '1' }, cb));
    expect(error?.code).toBe(grpc.status.INTERNAL);
    expect(error?.details).not.toContain('secret');
    expect(logs.some((l) => l.level === 50 && l.err?.message === 'ENOENT /var/lib/secret/wal')).toBe(true);
  });

  it('aborts the backend call when the client cancels or the deadline passes', async () => {
    const signals: AbortSignal[] = [];
    const started = { resolve: (): void => {} };
    const hang = (_request: unknown, signal: AbortSignal): Promise<string> => {
      signals.push(signal);
      started.resolve();
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    };
    const { client } = await start(fakeBackend({ query: hang }));

    const running = new Promise<void>((resolve) => (started.resolve = resolve));
    const cancelled = call((cb) => client.Query({ query: '1' }, cb));
    await running;
    const pending = client.Query({ query: '2' }, () => {});
    await vi.waitFor(() => expect(signals).toHaveLength(2));
    pending.cancel();
    await vi.waitFor(() => expect(signals[1]!.aborted).toBe(true));
    expect(signals[1]!.reason.name).toBe('AbortError');

    const timed = await call((cb) => client.Query({ query: '3' }, { deadline: Date.now() + 200 }, cb));
    expect(timed.error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await vi.waitFor(() => expect(signals[2]?.aborted).toBe(true));
    // TimeoutError when the server sees its deadline first, AbortError when the client's cancellation arrives first.
    expect(['TimeoutError', 'AbortError']).toContain(signals[2]!.reason.name);
    expect(signals[0]!.aborted).toBe(false);
    void cancelled;
  });
});

describe('startGrpcServer', () => {
  it('names the address when it is already in use', async () => {
    const { server } = await start(fakeBackend());
    await expect(
      startGrpcServer({ listen: server.address, raft: noopRaft, cluster: fakeBackend(), logger: pino({ level: 'silent' }), maxMessageBytes: 1024 * 1024 }),
    ).rejects.toThrow(`cannot listen on ${server.address}: the address is already in use`);
  });

  it('refuses a listen address that is not host:port', async () => {
    await expect(
      startGrpcServer({ listen: 'localhost', raft: noopRaft, cluster: fakeBackend(), logger: pino({ level: 'silent' }), maxMessageBytes: 1024 * 1024 }),
    ).rejects.toThrow(/cannot listen on "localhost": expected host:port/);
  });
});
