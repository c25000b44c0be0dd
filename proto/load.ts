import { fileURLToPath } from 'node:url';
import { loadSync, type Options } from '@grpc/proto-loader';
import { loadPackageDefinition } from '@grpc/grpc-js';
import type { ProtoGrpcType as ClusterProtoGrpcType } from './generated/cluster.ts';
import type { ProtoGrpcType as JobsProtoGrpcType } from './generated/jobs.ts';
import type { ProtoGrpcType as RaftProtoGrpcType } from './generated/raft.ts';

/**
 * How every .proto file of the project is loaded, at run time and by the type generator
 * (proto/generate.ts uses the same choices):
 * - field names in camelCase (`clientId`, not `client_id`),
 * - 64-bit integers as JavaScript numbers (terms and indexes stay far below 2^53),
 * - enums as their string names, missing fields as their defaults, oneofs as virtual fields.
 */
export const PROTO_LOADER_OPTIONS: Readonly<Options> = Object.freeze({
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});

/** The typed packages of the project's gRPC contracts. */
export interface Protos {
  /** `teambooth.raft`: peer traffic (proto/raft.proto). */
  raft: RaftProtoGrpcType['teambooth']['raft'];
  /** `teambooth.cluster`: the client API (proto/cluster.proto). */
  cluster: ClusterProtoGrpcType['teambooth']['cluster'];
  /** `teambooth.jobs`: jobs for members' clients and GPU agents (proto/jobs.proto). */
  jobs: JobsProtoGrpcType['teambooth']['jobs'];
}

/**
 * Loads proto/raft.proto, proto/cluster.proto and proto/jobs.proto. It parses the files on each call (a few
 * milliseconds), so a component calls it once, at construction.
 */
export function loadProtos(): Protos {
  const includeDir = fileURLToPath(new URL('.', import.meta.url));
  const definition = loadSync(['raft.proto', 'cluster.proto', 'jobs.proto'], { ...PROTO_LOADER_OPTIONS, includeDirs: [includeDir] });
  const loaded = loadPackageDefinition(definition) as unknown as RaftProtoGrpcType & ClusterProtoGrpcType & JobsProtoGrpcType;
  return { raft: loaded.teambooth.raft, cluster: loaded.teambooth.cluster, jobs: loaded.teambooth.jobs };
}
