// Original file: proto/raft.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { RaftBatch as _teambooth_raft_RaftBatch, RaftBatch__Output as _teambooth_raft_RaftBatch__Output } from '../../teambooth/raft/RaftBatch.ts';
import type { RaftMessage as _teambooth_raft_RaftMessage, RaftMessage__Output as _teambooth_raft_RaftMessage__Output } from '../../teambooth/raft/RaftMessage.ts';
import type { SendAck as _teambooth_raft_SendAck, SendAck__Output as _teambooth_raft_SendAck__Output } from '../../teambooth/raft/SendAck.ts';
import type { SnapshotAck as _teambooth_raft_SnapshotAck, SnapshotAck__Output as _teambooth_raft_SnapshotAck__Output } from '../../teambooth/raft/SnapshotAck.ts';
import type { SnapshotChunk as _teambooth_raft_SnapshotChunk, SnapshotChunk__Output as _teambooth_raft_SnapshotChunk__Output } from '../../teambooth/raft/SnapshotChunk.ts';

export interface RaftClient extends grpc.Client {
  /**
   * One call per snapshot: a header chunk, data chunks with offsets, the last one marked and
   * carrying the checksum. The receiver delivers one `snap` message once the snapshot is whole
   * and verified, and only then acknowledges.
   */
  InstallSnapshot(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_raft_SnapshotAck__Output>): grpc.ClientWritableStream<_teambooth_raft_SnapshotChunk>;
  InstallSnapshot(metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_raft_SnapshotAck__Output>): grpc.ClientWritableStream<_teambooth_raft_SnapshotChunk>;
  InstallSnapshot(options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_raft_SnapshotAck__Output>): grpc.ClientWritableStream<_teambooth_raft_SnapshotChunk>;
  InstallSnapshot(callback: grpc.requestCallback<_teambooth_raft_SnapshotAck__Output>): grpc.ClientWritableStream<_teambooth_raft_SnapshotChunk>;
  /**
   * One call per snapshot: a header chunk, data chunks with offsets, the last one marked and
   * carrying the checksum. The receiver delivers one `snap` message once the snapshot is whole
   * and verified, and only then acknowledges.
   */
  installSnapshot(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_raft_SnapshotAck__Output>): grpc.ClientWritableStream<_teambooth_raft_SnapshotChunk>;
  installSnapshot(metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_raft_SnapshotAck__Output>): grpc.ClientWritableStream<_teambooth_raft_SnapshotChunk>;
  installSnapshot(options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_raft_SnapshotAck__Output>): grpc.ClientWritableStream<_teambooth_raft_SnapshotChunk>;
  installSnapshot(callback: grpc.requestCallback<_teambooth_raft_SnapshotAck__Output>): grpc.ClientWritableStream<_teambooth_raft_SnapshotChunk>;
  
  /**
   * One long-lived stream per (sender, receiver) pair carries every message except `snap`,
   * in order. The receiver answers only when the sender closes the stream.
   */
  Send(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_raft_SendAck__Output>): grpc.ClientWritableStream<_teambooth_raft_RaftMessage>;
  Send(metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_raft_SendAck__Output>): grpc.ClientWritableStream<_teambooth_raft_RaftMessage>;
  Send(options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_raft_SendAck__Output>): grpc.ClientWritableStream<_teambooth_raft_RaftMessage>;
  Send(callback: grpc.requestCallback<_teambooth_raft_SendAck__Output>): grpc.ClientWritableStream<_teambooth_raft_RaftMessage>;
  /**
   * One long-lived stream per (sender, receiver) pair carries every message except `snap`,
   * in order. The receiver answers only when the sender closes the stream.
   */
  send(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_raft_SendAck__Output>): grpc.ClientWritableStream<_teambooth_raft_RaftMessage>;
  send(metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_raft_SendAck__Output>): grpc.ClientWritableStream<_teambooth_raft_RaftMessage>;
  send(options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_raft_SendAck__Output>): grpc.ClientWritableStream<_teambooth_raft_RaftMessage>;
  send(callback: grpc.requestCallback<_teambooth_raft_SendAck__Output>): grpc.ClientWritableStream<_teambooth_raft_RaftMessage>;
  
  /**
   * The same stream with the messages queued since the previous write packed into one
   * RaftBatch, in order. GrpcTransport sends through this one: a gRPC message costs far more
   * than the bytes of a small Raft message, so under load one batch replaces many messages.
   */
  SendBatch(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_raft_SendAck__Output>): grpc.ClientWritableStream<_teambooth_raft_RaftBatch>;
  SendBatch(metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_raft_SendAck__Output>): grpc.ClientWritableStream<_teambooth_raft_RaftBatch>;
  SendBatch(options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_raft_SendAck__Output>): grpc.ClientWritableStream<_teambooth_raft_RaftBatch>;
  SendBatch(callback: grpc.requestCallback<_teambooth_raft_SendAck__Output>): grpc.ClientWritableStream<_teambooth_raft_RaftBatch>;
  /**
   * The same stream with the messages queued since the previous write packed into one
   * RaftBatch, in order. GrpcTransport sends through this one: a gRPC message costs far more
   * than the bytes of a small Raft message, so under load one batch replaces many messages.
   */
  sendBatch(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_raft_SendAck__Output>): grpc.ClientWritableStream<_teambooth_raft_RaftBatch>;
  sendBatch(metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_raft_SendAck__Output>): grpc.ClientWritableStream<_teambooth_raft_RaftBatch>;
  sendBatch(options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_raft_SendAck__Output>): grpc.ClientWritableStream<_teambooth_raft_RaftBatch>;
  sendBatch(callback: grpc.requestCallback<_teambooth_raft_SendAck__Output>): grpc.ClientWritableStream<_teambooth_raft_RaftBatch>;
  
}

export interface RaftHandlers extends grpc.UntypedServiceImplementation {
  /**
   * One call per snapshot: a header chunk, data chunks with offsets, the last one marked and
   * carrying the checksum. The receiver delivers one `snap` message once the snapshot is whole
   * and verified, and only then acknowledges.
   */
  InstallSnapshot: grpc.handleClientStreamingCall<_teambooth_raft_SnapshotChunk__Output, _teambooth_raft_SnapshotAck>;
  
  /**
   * One long-lived stream per (sender, receiver) pair carries every message except `snap`,
   * in order. The receiver answers only when the sender closes the stream.
   */
  Send: grpc.handleClientStreamingCall<_teambooth_raft_RaftMessage__Output, _teambooth_raft_SendAck>;
  
  /**
   * The same stream with the messages queued since the previous write packed into one
   * RaftBatch, in order. GrpcTransport sends through this one: a gRPC message costs far more
   * than the bytes of a small Raft message, so under load one batch replaces many messages.
   */
  SendBatch: grpc.handleClientStreamingCall<_teambooth_raft_RaftBatch__Output, _teambooth_raft_SendAck>;
  
}

export interface RaftDefinition extends grpc.ServiceDefinition {
  InstallSnapshot: MethodDefinition<_teambooth_raft_SnapshotChunk, _teambooth_raft_SnapshotAck, _teambooth_raft_SnapshotChunk__Output, _teambooth_raft_SnapshotAck__Output>
  Send: MethodDefinition<_teambooth_raft_RaftMessage, _teambooth_raft_SendAck, _teambooth_raft_RaftMessage__Output, _teambooth_raft_SendAck__Output>
  SendBatch: MethodDefinition<_teambooth_raft_RaftBatch, _teambooth_raft_SendAck, _teambooth_raft_RaftBatch__Output, _teambooth_raft_SendAck__Output>
}
