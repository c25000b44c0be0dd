// Original file: proto/cluster.proto


export interface TransferLeaderRequest {
  'nodeId'?: (string);
}

export interface TransferLeaderRequest__Output {
  'nodeId': (string);
}
