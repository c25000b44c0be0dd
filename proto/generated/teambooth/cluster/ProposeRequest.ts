// Original file: proto/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface ProposeRequest {
  /**
   * Exactly-once identity: a retry of the same command reuses the same (client_id, seq).
   */
  'clientId'?: (string);
  'seq'?: (number | string | Long);
  /**
   * JSON-encoded command.
   */
  'command'?: (string);
}

export interface ProposeRequest__Output {
  /**
   * Exactly-once identity: a retry of the same command reuses the same (client_id, seq).
   */
  'clientId': (string);
  'seq': (number);
  /**
   * JSON-encoded command.
   */
  'command': (string);
}
