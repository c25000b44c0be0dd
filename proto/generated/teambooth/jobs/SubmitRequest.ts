// Original file: proto/jobs.proto


export interface SubmitRequest {
  /**
   * imagine or train.
   */
  'kind'?: (string);
  /**
   * JSON parameters of the job (see cluster/jobs/job-params.ts).
   */
  'params'?: (string);
  /**
   * The member the job is for (chat user id, or the CLI user).
   */
  'requester'?: (string);
  /**
   * A retry with the same key returns the same job instead of a second one.
   */
  'idempotencyKey'?: (string);
}

export interface SubmitRequest__Output {
  /**
   * imagine or train.
   */
  'kind': (string);
  /**
   * JSON parameters of the job (see cluster/jobs/job-params.ts).
   */
  'params': (string);
  /**
   * The member the job is for (chat user id, or the CLI user).
   */
  'requester': (string);
  /**
   * A retry with the same key returns the same job instead of a second one.
   */
  'idempotencyKey': (string);
}
