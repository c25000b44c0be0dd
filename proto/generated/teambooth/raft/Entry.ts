// Original file: proto/raft.proto

import type { EntryType as _teambooth_raft_EntryType, EntryType__Output as _teambooth_raft_EntryType__Output } from '../../teambooth/raft/EntryType.ts';
import type { Long } from '@grpc/proto-loader';

export interface Entry {
  'term'?: (number | string | Long);
  'index'?: (number | string | Long);
  'type'?: (_teambooth_raft_EntryType);
  'data'?: (Buffer | Uint8Array | string);
}

export interface Entry__Output {
  'term': (number);
  'index': (number);
  'type': (_teambooth_raft_EntryType__Output);
  'data': (Buffer);
}
