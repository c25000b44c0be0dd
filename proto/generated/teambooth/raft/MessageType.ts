// Original file: proto/raft.proto

export const MessageType = {
  MESSAGE_TYPE_UNSPECIFIED: 'MESSAGE_TYPE_UNSPECIFIED',
  APP: 'APP',
  APP_RESP: 'APP_RESP',
  VOTE: 'VOTE',
  VOTE_RESP: 'VOTE_RESP',
  PRE_VOTE: 'PRE_VOTE',
  PRE_VOTE_RESP: 'PRE_VOTE_RESP',
  HEARTBEAT: 'HEARTBEAT',
  HEARTBEAT_RESP: 'HEARTBEAT_RESP',
  SNAP: 'SNAP',
  READ_INDEX: 'READ_INDEX',
  READ_INDEX_RESP: 'READ_INDEX_RESP',
  TIMEOUT_NOW: 'TIMEOUT_NOW',
  TRANSFER_LEADER: 'TRANSFER_LEADER',
} as const;

export type MessageType =
  | 'MESSAGE_TYPE_UNSPECIFIED'
  | 0
  | 'APP'
  | 1
  | 'APP_RESP'
  | 2
  | 'VOTE'
  | 3
  | 'VOTE_RESP'
  | 4
  | 'PRE_VOTE'
  | 5
  | 'PRE_VOTE_RESP'
  | 6
  | 'HEARTBEAT'
  | 7
  | 'HEARTBEAT_RESP'
  | 8
  | 'SNAP'
  | 9
  | 'READ_INDEX'
  | 10
  | 'READ_INDEX_RESP'
  | 11
  | 'TIMEOUT_NOW'
  | 12
  | 'TRANSFER_LEADER'
  | 13

export type MessageType__Output = typeof MessageType[keyof typeof MessageType]
