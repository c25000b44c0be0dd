// Original file: proto/jobs.proto


export interface ProgressRequest {
  'jobId'?: (string);
  'step'?: (number);
  'total'?: (number);
  /**
   * Training loss; NaN when not training.
   */
  'loss'?: (number | string);
  'phase'?: (string);
  'refreshUrls'?: (boolean);
}

export interface ProgressRequest__Output {
  'jobId': (string);
  'step': (number);
  'total': (number);
  /**
   * Training loss; NaN when not training.
   */
  'loss': (number);
  'phase': (string);
  'refreshUrls': (boolean);
}
