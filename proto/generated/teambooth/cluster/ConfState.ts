// Original file: proto/cluster.proto


export interface ConfState {
  'voters'?: (string)[];
  'learners'?: (string)[];
  'addresses'?: ({[key: string]: string});
}

export interface ConfState__Output {
  'voters': (string)[];
  'learners': (string)[];
  'addresses': ({[key: string]: string});
}
