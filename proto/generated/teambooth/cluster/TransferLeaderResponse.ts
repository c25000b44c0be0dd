// Original file: proto/cluster.proto


export interface TransferLeaderResponse {
}

export interface TransferLeaderResponse__Output {
}
