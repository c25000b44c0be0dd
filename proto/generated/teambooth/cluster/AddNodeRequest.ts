// Original file: proto/cluster.proto


export interface AddNodeRequest {
  'nodeId'?: (string);
  /**
   * host:port the other members reach the new node at.
   */
  'address'?: (string);
}

export interface AddNodeRequest__Output {
  'nodeId': (string);
  /**
   * host:port the other members reach the new node at.
   */
  'address': (string);
}
