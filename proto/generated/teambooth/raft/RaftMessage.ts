// Original file: proto/raft.proto

import type { MessageType as _teambooth_raft_MessageType, MessageType__Output as _teambooth_raft_MessageType__Output } from '../../teambooth/raft/MessageType.ts';
import type { Entry as _teambooth_raft_Entry, Entry__Output as _teambooth_raft_Entry__Output } from '../../teambooth/raft/Entry.ts';
import type { Long } from '@grpc/proto-loader';

/**
 * One Raft message. A `snap` message never travels on Send: its snapshot goes through
 * InstallSnapshot, with this message (without the snapshot) in the header chunk.
 */
export interface RaftMessage {
  'type'?: (_teambooth_raft_MessageType);
  'from'?: (string);
  'to'?: (string);
  'term'?: (number | string | Long);
  'logTerm'?: (number | string | Long);
  'index'?: (number | string | Long);
  'entries'?: (_teambooth_raft_Entry)[];
  'commit'?: (number | string | Long);
  'reject'?: (boolean);
  'rejectHint'?: (number | string | Long);
  'context'?: (Buffer | Uint8Array | string);
}

/**
 * One Raft message. A `snap` message never travels on Send: its snapshot goes through
 * InstallSnapshot, with this message (without the snapshot) in the header chunk.
 */
export interface RaftMessage__Output {
  'type': (_teambooth_raft_MessageType__Output);
  'from': (string);
  'to': (string);
  'term': (number);
  'logTerm': (number);
  'index': (number);
  'entries': (_teambooth_raft_Entry__Output)[];
  'commit': (number);
  'reject': (boolean);
  'rejectHint': (number);
  'context': (Buffer);
}
