// Original file: proto/jobs.proto


export interface CompleteRequest {
  'jobId'?: (string);
  /**
   * Names of the uploaded outputs (keys of ClaimReply.outputs).
   */
  'outputs'?: (string)[];
}

export interface CompleteRequest__Output {
  'jobId': (string);
  /**
   * Names of the uploaded outputs (keys of ClaimReply.outputs).
   */
  'outputs': (string)[];
}
