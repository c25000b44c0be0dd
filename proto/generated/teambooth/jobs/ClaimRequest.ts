// Original file: proto/jobs.proto


export interface ClaimRequest {
  /**
   * How long to wait for a job, at most 20000.
   */
  'waitMs'?: (number);
  /**
   * Only these kinds (all when empty).
   */
  'kinds'?: (string)[];
}

export interface ClaimRequest__Output {
  /**
   * How long to wait for a job, at most 20000.
   */
  'waitMs': (number);
  /**
   * Only these kinds (all when empty).
   */
  'kinds': (string)[];
}
