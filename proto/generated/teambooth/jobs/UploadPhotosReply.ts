// Original file: proto/jobs.proto


export interface UploadPhotosReply {
  /**
   * The id to put in a train job's params (`uploadId`).
   */
  'uploadId'?: (string);
  /**
   * The stored names, in order.
   */
  'names'?: (string)[];
}

export interface UploadPhotosReply__Output {
  /**
   * The id to put in a train job's params (`uploadId`).
   */
  'uploadId': (string);
  /**
   * The stored names, in order.
   */
  'names': (string)[];
}
