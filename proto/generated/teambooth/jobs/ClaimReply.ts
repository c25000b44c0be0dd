// Original file: proto/jobs.proto

import type { Long } from '@grpc/proto-loader';

export interface ClaimReply {
  /**
   * JSON of the leased job; empty when none came within wait_ms.
   */
  'job'?: (string);
  'leaseMs'?: (number | string | Long);
  /**
   * Input name -> presigned GET URL.
   */
  'inputs'?: ({[key: string]: string});
  /**
   * Output name -> presigned PUT URL.
   */
  'outputs'?: ({[key: string]: string});
}

export interface ClaimReply__Output {
  /**
   * JSON of the leased job; empty when none came within wait_ms.
   */
  'job': (string);
  'leaseMs': (number);
  /**
   * Input name -> presigned GET URL.
   */
  'inputs': ({[key: string]: string});
  /**
   * Output name -> presigned PUT URL.
   */
  'outputs': ({[key: string]: string});
}
