// Original file: proto/raft.proto

import type { ConfState as _teambooth_raft_ConfState, ConfState__Output as _teambooth_raft_ConfState__Output } from '../../teambooth/raft/ConfState.ts';
import type { Long } from '@grpc/proto-loader';

export interface SnapshotMetadata {
  'index'?: (number | string | Long);
  'term'?: (number | string | Long);
  'conf'?: (_teambooth_raft_ConfState | null);
}

export interface SnapshotMetadata__Output {
  'index': (number);
  'term': (number);
  'conf': (_teambooth_raft_ConfState__Output | null);
}
