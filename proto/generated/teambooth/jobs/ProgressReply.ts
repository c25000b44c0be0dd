// Original file: proto/jobs.proto

import type { Long } from '@grpc/proto-loader';

export interface ProgressReply {
  'leaseMs'?: (number | string | Long);
  'inputs'?: ({[key: string]: string});
  'outputs'?: ({[key: string]: string});
}

export interface ProgressReply__Output {
  'leaseMs': (number);
  'inputs': ({[key: string]: string});
  'outputs': ({[key: string]: string});
}
