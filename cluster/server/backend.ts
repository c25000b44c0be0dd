import type { ConfState, Message, NodeId, Role, Snapshot } from '../raft/types.ts';

/**
 * The ports between the Raft driver (cluster/server/raft-node.ts) and the network.
 * The gRPC implementations live in cluster/transport/ and cluster/server/; tests use in-memory ones.
 */

/** Sends Raft messages to peers. Implementations never throw from `send`: failures are reported back as `unreachable` / `snapStatus`. */
export interface Transport {
  /** Queue messages for delivery. A `snap` message is streamed in chunks. */
  send(messages: Message[]): void;
  /** Learn or update a peer's address (membership changes, restarts). */
  setPeers(addresses: Record<NodeId, string>): void;
  close(): Promise<void>;
}

/** What the transport delivers to the driver. */
export interface TransportHandler {
  /** A message (or a fully reassembled snapshot message) from a peer. */
  receive(message: Message): void;
  /** The transport failed to deliver to `peer` (the driver reports it to the core). */
  unreachable(peer: NodeId): void;
  /** A snapshot to `peer` was fully sent (ok) or failed. */
  snapshotSent(peer: NodeId, ok: boolean): void;
}

/** Per-node status, as shown by `teambooth status`. */
export interface NodeStatus {
  id: NodeId;
  address: string;
  clusterId: string;
  role: Role | 'learner';
  term: number;
  commitIndex: number;
  appliedIndex: number;
  leaderId: NodeId;
  leaderAddress: string;
  conf: ConfState;
  /** Current model version id, or '' when none has been imported. */
  modelVersion: string;
}

/** A client write: JSON command of the state machine with exactly-once identity. */
export interface ProposeRequest {
  clientId: string;
  /** Strictly increasing per client; a retry reuses the same number. */
  seq: number;
  /** JSON-encoded command (see cluster/state/commands.ts). */
  command: string;
}

/** A client read: JSON-encoded query of the state machine. */
export interface QueryRequest {
  query: string;
  /** Serve from local state without ReadIndex (may be stale). */
  stale: boolean;
}

/**
 * What the client-facing gRPC service calls. Implemented by the Raft driver.
 * Errors thrown are the typed errors of cluster/raft/errors.ts.
 */
export interface ClusterBackend {
  status(): NodeStatus;
  /** Proposes through the log and resolves with the JSON-encoded command result once applied. */
  propose(request: ProposeRequest, signal: AbortSignal): Promise<string>;
  /** Linearizable (ReadIndex) or stale read, resolving with the JSON-encoded result. */
  query(request: QueryRequest, signal: AbortSignal): Promise<string>;
  addNode(nodeId: NodeId, address: string, signal: AbortSignal): Promise<ConfState>;
  removeNode(nodeId: NodeId, signal: AbortSignal): Promise<ConfState>;
  transferLeadership(nodeId: NodeId, signal: AbortSignal): Promise<void>;
  /** Checks an admin credential (constant-time compare against the configured token). */
  isAdmin(token: string): boolean;
  /** Calls `listener` whenever applied state or the node's role may have changed (at least once per tick); returns the unsubscribe. */
  onChange(listener: () => void): () => void;
}

export type { Snapshot };
