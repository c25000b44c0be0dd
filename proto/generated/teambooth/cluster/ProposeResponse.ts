// Original file: proto/cluster.proto


export interface ProposeResponse {
  /**
   * JSON-encoded result of the command.
   */
  'result'?: (string);
}

export interface ProposeResponse__Output {
  /**
   * JSON-encoded result of the command.
   */
  'result': (string);
}
