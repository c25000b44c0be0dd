// Original file: proto/cluster.proto


export interface QueryRequest {
  /**
   * JSON-encoded query.
   */
  'query'?: (string);
  /**
   * Serve from local state without a ReadIndex round (may be stale).
   */
  'stale'?: (boolean);
}

export interface QueryRequest__Output {
  /**
   * JSON-encoded query.
   */
  'query': (string);
  /**
   * Serve from local state without a ReadIndex round (may be stale).
   */
  'stale': (boolean);
}
