// Original file: proto/cluster.proto


export interface QueryResponse {
  /**
   * JSON-encoded result of the query.
   */
  'result'?: (string);
}

export interface QueryResponse__Output {
  /**
   * JSON-encoded result of the query.
   */
  'result': (string);
}
