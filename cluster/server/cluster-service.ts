import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { loadProtos } from '../../proto/load.ts';
import type { ClusterHandlers } from '../../proto/generated/teambooth/cluster/Cluster.ts';
import type { ConfState as ConfStateProto } from '../../proto/generated/teambooth/cluster/ConfState.ts';
import type { NodeStatus as NodeStatusProto } from '../../proto/generated/teambooth/cluster/NodeStatus.ts';
import { CommandRejectedError } from '../raft/errors.ts';
import type { ConfState } from '../raft/types.ts';
import type { ClusterBackend } from './backend.ts';
import type { GrpcServiceBinding } from './grpc-server.ts';
import { requireAdmin, unaryCall } from './unary-call.ts';

/** Options of {@link createClusterService}. */
export interface ClusterServiceOptions {
  backend: ClusterBackend;
  logger: Logger;
  /** Largest accepted JSON command or query, in UTF-8 bytes (default 1 MiB). */
  maxFieldBytes?: number;
  /** Wall clock in ms, used to turn a call's deadline into a timer (default Date.now). */
  now?: () => number;
}

const MAX_CLIENT_ID_BYTES = 256;
const MAX_NODE_ID_LENGTH = 64;
const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

function invalid(message: string): CommandRejectedError {
  return new CommandRejectedError(message, 'invalid');
}

function requireJson(field: string, value: string, maxBytes: number): void {
  if (value === '') throw invalid(`${field} is required`);
  const bytes = Buffer.byteLength(value);
  if (bytes > maxBytes) throw invalid(`${field} is ${bytes} bytes; the limit is ${maxBytes}`);
  try {
    JSON.parse(value);
  } catch {
    throw invalid(`${field} is not valid JSON`);
  }
}

function requireNodeId(field: string, value: string): void {
  if (value === '') throw invalid(`${field} is required`);
  if (value.length > MAX_NODE_ID_LENGTH) throw invalid(`${field} is ${value.length} characters; the limit is ${MAX_NODE_ID_LENGTH}`);
  if (!NODE_ID.test(value)) throw invalid(`${field} "${value}" may only contain letters, digits, '.', '_' and '-' and must start with a letter or digit`);
}

function requireAddress(field: string, value: string): void {
  if (value === '') throw invalid(`${field} is required`);
  const match = ADDRESS.exec(value);
  const port = match ? Number(match[2]) : 0;
  if (!match || port < 1 || port > 65535) throw invalid(`${field} "${value.slice(0, 300)}" is not host:port (for example 10.0.0.4:7001)`);
}

function confToProto(conf: ConfState): ConfStateProto {
  return { voters: conf.voters, learners: conf.learners, addresses: conf.addresses };
}

/**
 * The `teambooth.cluster.Cluster` service over a {@link ClusterBackend}.
 *
 * Every call validates its request (INVALID_ARGUMENT naming the field), runs the backend with an
 * AbortSignal that fires when the client cancels or the call's deadline passes, and maps errors
 * to status through grpcStatusFromError. Propose, AddNode, RemoveNode and TransferLeader need the
 * admin token (`authorization: Bearer <token>`, checked with `backend.isAdmin`); Status and Query
 * do not.
 */
export function createClusterService(options: ClusterServiceOptions): GrpcServiceBinding {
  const { backend } = options;
  const logger = options.logger.child({ component: 'cluster-service' });
  const maxFieldBytes = options.maxFieldBytes ?? 1024 * 1024;
  const now = options.now ?? Date.now;

  /** One unary method, with the admin check when `admin` is set. */
  function unary<Req, Res>(admin: boolean, run: (request: Req, signal: AbortSignal) => Res | Promise<Res>): grpc.handleUnaryCall<Req, Res> {
    return unaryCall<Req, Res>(logger, now, (request, signal, metadata) => {
      if (admin) requireAdmin(backend, metadata);
      return run(request, signal);
    });
  }

  const handlers: ClusterHandlers = {
    Status: unary(false, (): NodeStatusProto => {
      const status = backend.status();
      return {
        id: status.id,
        address: status.address,
        clusterId: status.clusterId,
        role: status.role,
        term: status.term,
        commitIndex: status.commitIndex,
        appliedIndex: status.appliedIndex,
        leaderId: status.leaderId,
        leaderAddress: status.leaderAddress,
        conf: confToProto(status.conf),
        modelVersion: status.modelVersion,
      };
    }),
    Propose: unary(true, async (request, signal) => {
      if (request.clientId === '') throw invalid('ProposeRequest.client_id is required');
      const clientIdBytes = Buffer.byteLength(request.clientId);
      if (clientIdBytes > MAX_CLIENT_ID_BYTES) throw invalid(`ProposeRequest.client_id is ${clientIdBytes} bytes; the limit is ${MAX_CLIENT_ID_BYTES}`);
      if (!Number.isSafeInteger(request.seq) || request.seq < 1) throw invalid('ProposeRequest.seq must be an integer of at least 1');
      requireJson('ProposeRequest.command', request.command, maxFieldBytes);
      const result = await backend.propose({ clientId: request.clientId, seq: request.seq, command: request.command }, signal);
      return { result };
    }),
    Query: unary(false, async (request, signal) => {
      requireJson('QueryRequest.query', request.query, maxFieldBytes);
      const result = await backend.query({ query: request.query, stale: request.stale }, signal);
      return { result };
    }),
    AddNode: unary(true, async (request, signal) => {
      requireNodeId('AddNodeRequest.node_id', request.nodeId);
      requireAddress('AddNodeRequest.address', request.address);
      return { conf: confToProto(await backend.addNode(request.nodeId, request.address, signal)) };
    }),
    RemoveNode: unary(true, async (request, signal) => {
      requireNodeId('RemoveNodeRequest.node_id', request.nodeId);
      return { conf: confToProto(await backend.removeNode(request.nodeId, signal)) };
    }),
    TransferLeader: unary(true, async (request, signal) => {
      requireNodeId('TransferLeaderRequest.node_id', request.nodeId);
      await backend.transferLeadership(request.nodeId, signal);
      return {};
    }),
  };

  return { definition: loadProtos().cluster.Cluster.service, implementation: handlers };
}
