// Original file: proto/cluster.proto


export interface RemoveNodeRequest {
  'nodeId'?: (string);
}

export interface RemoveNodeRequest__Output {
  'nodeId': (string);
}
