// Original file: proto/raft.proto

export const EntryType = {
  NORMAL: 'NORMAL',
  CONF: 'CONF',
} as const;

export type EntryType =
  | 'NORMAL'
  | 0
  | 'CONF'
  | 1

export type EntryType__Output = typeof EntryType[keyof typeof EntryType]
