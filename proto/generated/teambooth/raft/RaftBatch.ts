// Original file: proto/raft.proto

import type { RaftMessage as _teambooth_raft_RaftMessage, RaftMessage__Output as _teambooth_raft_RaftMessage__Output } from '../../teambooth/raft/RaftMessage.ts';

/**
 * Raft messages for one peer, in the order they were sent.
 */
export interface RaftBatch {
  'messages'?: (_teambooth_raft_RaftMessage)[];
}

/**
 * Raft messages for one peer, in the order they were sent.
 */
export interface RaftBatch__Output {
  'messages': (_teambooth_raft_RaftMessage__Output)[];
}
