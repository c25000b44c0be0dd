// Original file: proto/raft.proto


export interface ConfState {
  'voters'?: (string)[];
  'learners'?: (string)[];
  /**
   * Network address (host:port) of every member, voters and learners.
   */
  'addresses'?: ({[key: string]: string});
}

export interface ConfState__Output {
  'voters': (string)[];
  'learners': (string)[];
  /**
   * Network address (host:port) of every member, voters and learners.
   */
  'addresses': ({[key: string]: string});
}
