// Original file: proto/jobs.proto


export interface Photo {
  'name'?: (string);
  'data'?: (Buffer | Uint8Array | string);
}

export interface Photo__Output {
  'name': (string);
  'data': (Buffer);
}
