// Original file: proto/jobs.proto


export interface ModelFilesReply {
  /**
   * Object key of the manifest (models/<version>/<sha256>.json); the agent checks the bytes against it.
   */
  'manifestKey'?: (string);
  /**
   * Presigned GET URL of the manifest.
   */
  'manifestUrl'?: (string);
  /**
   * Tensor hash -> presigned GET URL.
   */
  'urls'?: ({[key: string]: string});
}

export interface ModelFilesReply__Output {
  /**
   * Object key of the manifest (models/<version>/<sha256>.json); the agent checks the bytes against it.
   */
  'manifestKey': (string);
  /**
   * Presigned GET URL of the manifest.
   */
  'manifestUrl': (string);
  /**
   * Tensor hash -> presigned GET URL.
   */
  'urls': ({[key: string]: string});
}
