import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { ConfState as _teambooth_raft_ConfState, ConfState__Output as _teambooth_raft_ConfState__Output } from './teambooth/raft/ConfState.ts';
import type { Entry as _teambooth_raft_Entry, Entry__Output as _teambooth_raft_Entry__Output } from './teambooth/raft/Entry.ts';
import type { RaftClient as _teambooth_raft_RaftClient, RaftDefinition as _teambooth_raft_RaftDefinition } from './teambooth/raft/Raft.ts';
import type { RaftBatch as _teambooth_raft_RaftBatch, RaftBatch__Output as _teambooth_raft_RaftBatch__Output } from './teambooth/raft/RaftBatch.ts';
import type { RaftMessage as _teambooth_raft_RaftMessage, RaftMessage__Output as _teambooth_raft_RaftMessage__Output } from './teambooth/raft/RaftMessage.ts';
import type { SendAck as _teambooth_raft_SendAck, SendAck__Output as _teambooth_raft_SendAck__Output } from './teambooth/raft/SendAck.ts';
import type { SnapshotAck as _teambooth_raft_SnapshotAck, SnapshotAck__Output as _teambooth_raft_SnapshotAck__Output } from './teambooth/raft/SnapshotAck.ts';
import type { SnapshotChunk as _teambooth_raft_SnapshotChunk, SnapshotChunk__Output as _teambooth_raft_SnapshotChunk__Output } from './teambooth/raft/SnapshotChunk.ts';
import type { SnapshotHeader as _teambooth_raft_SnapshotHeader, SnapshotHeader__Output as _teambooth_raft_SnapshotHeader__Output } from './teambooth/raft/SnapshotHeader.ts';
import type { SnapshotMetadata as _teambooth_raft_SnapshotMetadata, SnapshotMetadata__Output as _teambooth_raft_SnapshotMetadata__Output } from './teambooth/raft/SnapshotMetadata.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  teambooth: {
    raft: {
      ConfState: MessageTypeDefinition<_teambooth_raft_ConfState, _teambooth_raft_ConfState__Output>
      Entry: MessageTypeDefinition<_teambooth_raft_Entry, _teambooth_raft_Entry__Output>
      EntryType: EnumTypeDefinition
      MessageType: EnumTypeDefinition
      Raft: SubtypeConstructor<typeof grpc.Client, _teambooth_raft_RaftClient> & { service: _teambooth_raft_RaftDefinition }
      RaftBatch: MessageTypeDefinition<_teambooth_raft_RaftBatch, _teambooth_raft_RaftBatch__Output>
      RaftMessage: MessageTypeDefinition<_teambooth_raft_RaftMessage, _teambooth_raft_RaftMessage__Output>
      SendAck: MessageTypeDefinition<_teambooth_raft_SendAck, _teambooth_raft_SendAck__Output>
      SnapshotAck: MessageTypeDefinition<_teambooth_raft_SnapshotAck, _teambooth_raft_SnapshotAck__Output>
      SnapshotChunk: MessageTypeDefinition<_teambooth_raft_SnapshotChunk, _teambooth_raft_SnapshotChunk__Output>
      SnapshotHeader: MessageTypeDefinition<_teambooth_raft_SnapshotHeader, _teambooth_raft_SnapshotHeader__Output>
      SnapshotMetadata: MessageTypeDefinition<_teambooth_raft_SnapshotMetadata, _teambooth_raft_SnapshotMetadata__Output>
    }
  }
}

