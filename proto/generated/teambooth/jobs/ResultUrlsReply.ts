// Original file: proto/jobs.proto


export interface ResultUrlsReply {
  /**
   * Output name -> presigned GET URL.
   */
  'urls'?: ({[key: string]: string});
}

export interface ResultUrlsReply__Output {
  /**
   * Output name -> presigned GET URL.
   */
  'urls': ({[key: string]: string});
}
