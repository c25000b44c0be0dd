// Original file: proto/raft.proto

import type { SnapshotHeader as _teambooth_raft_SnapshotHeader, SnapshotHeader__Output as _teambooth_raft_SnapshotHeader__Output } from '../../teambooth/raft/SnapshotHeader.ts';
import type { Long } from '@grpc/proto-loader';

export interface SnapshotChunk {
  /**
   * Set on the first chunk only.
   */
  'header'?: (_teambooth_raft_SnapshotHeader | null);
  /**
   * Offset of `data` within the snapshot data; chunks arrive in order without gaps.
   */
  'offset'?: (number | string | Long);
  'data'?: (Buffer | Uint8Array | string);
  /**
   * Marks the last chunk, which also carries the checksum.
   */
  'last'?: (boolean);
  /**
   * SHA-256 of the whole snapshot data; set on the last chunk.
   */
  'sha256'?: (Buffer | Uint8Array | string);
}

export interface SnapshotChunk__Output {
  /**
   * Set on the first chunk only.
   */
  'header': (_teambooth_raft_SnapshotHeader__Output | null);
  /**
   * Offset of `data` within the snapshot data; chunks arrive in order without gaps.
   */
  'offset': (number);
  'data': (Buffer);
  /**
   * Marks the last chunk, which also carries the checksum.
   */
  'last': (boolean);
  /**
   * SHA-256 of the whole snapshot data; set on the last chunk.
   */
  'sha256': (Buffer);
}
