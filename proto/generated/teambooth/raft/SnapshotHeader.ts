// Original file: proto/raft.proto

import type { RaftMessage as _teambooth_raft_RaftMessage, RaftMessage__Output as _teambooth_raft_RaftMessage__Output } from '../../teambooth/raft/RaftMessage.ts';
import type { SnapshotMetadata as _teambooth_raft_SnapshotMetadata, SnapshotMetadata__Output as _teambooth_raft_SnapshotMetadata__Output } from '../../teambooth/raft/SnapshotMetadata.ts';
import type { Long } from '@grpc/proto-loader';

/**
 * Opens an InstallSnapshot call.
 */
export interface SnapshotHeader {
  /**
   * The `snap` message without its snapshot.
   */
  'message'?: (_teambooth_raft_RaftMessage | null);
  'metadata'?: (_teambooth_raft_SnapshotMetadata | null);
  /**
   * Size of the snapshot data in bytes.
   */
  'totalBytes'?: (number | string | Long);
}

/**
 * Opens an InstallSnapshot call.
 */
export interface SnapshotHeader__Output {
  /**
   * The `snap` message without its snapshot.
   */
  'message': (_teambooth_raft_RaftMessage__Output | null);
  'metadata': (_teambooth_raft_SnapshotMetadata__Output | null);
  /**
   * Size of the snapshot data in bytes.
   */
  'totalBytes': (number);
}
