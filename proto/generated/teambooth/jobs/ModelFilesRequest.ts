// Original file: proto/jobs.proto


export interface ModelFilesRequest {
  /**
   * A version id such as v3.
   */
  'version'?: (string);
  /**
   * sha-256 hashes of the tensors wanted; empty to get only the manifest.
   */
  'hashes'?: (string)[];
}

export interface ModelFilesRequest__Output {
  /**
   * A version id such as v3.
   */
  'version': (string);
  /**
   * sha-256 hashes of the tensors wanted; empty to get only the manifest.
   */
  'hashes': (string)[];
}
