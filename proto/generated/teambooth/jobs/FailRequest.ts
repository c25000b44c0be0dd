// Original file: proto/jobs.proto


export interface FailRequest {
  'jobId'?: (string);
  'reason'?: (string);
  /**
   * The job's input itself is bad (e.g. a photo that does not decode): fail it for good.
   */
  'final'?: (boolean);
  /**
   * The agent gives the job back unharmed (it is shutting down): re-queue it without counting
   * an attempt or a failure.
   */
  'release'?: (boolean);
}

export interface FailRequest__Output {
  'jobId': (string);
  'reason': (string);
  /**
   * The job's input itself is bad (e.g. a photo that does not decode): fail it for good.
   */
  'final': (boolean);
  /**
   * The agent gives the job back unharmed (it is shutting down): re-queue it without counting
   * an attempt or a failure.
   */
  'release': (boolean);
}
