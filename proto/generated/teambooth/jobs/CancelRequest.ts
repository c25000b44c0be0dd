// Original file: proto/jobs.proto


export interface CancelRequest {
  'jobId'?: (string);
  /**
   * When set, only this member's own job can be cancelled.
   */
  'requester'?: (string);
}

export interface CancelRequest__Output {
  'jobId': (string);
  /**
   * When set, only this member's own job can be cancelled.
   */
  'requester': (string);
}
