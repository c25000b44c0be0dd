// Original file: proto/cluster.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddNodeRequest as _teambooth_cluster_AddNodeRequest, AddNodeRequest__Output as _teambooth_cluster_AddNodeRequest__Output } from '../../teambooth/cluster/AddNodeRequest.ts';
import type { MembershipResponse as _teambooth_cluster_MembershipResponse, MembershipResponse__Output as _teambooth_cluster_MembershipResponse__Output } from '../../teambooth/cluster/MembershipResponse.ts';
import type { NodeStatus as _teambooth_cluster_NodeStatus, NodeStatus__Output as _teambooth_cluster_NodeStatus__Output } from '../../teambooth/cluster/NodeStatus.ts';
import type { ProposeRequest as _teambooth_cluster_ProposeRequest, ProposeRequest__Output as _teambooth_cluster_ProposeRequest__Output } from '../../teambooth/cluster/ProposeRequest.ts';
import type { ProposeResponse as _teambooth_cluster_ProposeResponse, ProposeResponse__Output as _teambooth_cluster_ProposeResponse__Output } from '../../teambooth/cluster/ProposeResponse.ts';
import type { QueryRequest as _teambooth_cluster_QueryRequest, QueryRequest__Output as _teambooth_cluster_QueryRequest__Output } from '../../teambooth/cluster/QueryRequest.ts';
import type { QueryResponse as _teambooth_cluster_QueryResponse, QueryResponse__Output as _teambooth_cluster_QueryResponse__Output } from '../../teambooth/cluster/QueryResponse.ts';
import type { RemoveNodeRequest as _teambooth_cluster_RemoveNodeRequest, RemoveNodeRequest__Output as _teambooth_cluster_RemoveNodeRequest__Output } from '../../teambooth/cluster/RemoveNodeRequest.ts';
import type { StatusRequest as _teambooth_cluster_StatusRequest, StatusRequest__Output as _teambooth_cluster_StatusRequest__Output } from '../../teambooth/cluster/StatusRequest.ts';
import type { TransferLeaderRequest as _teambooth_cluster_TransferLeaderRequest, TransferLeaderRequest__Output as _teambooth_cluster_TransferLeaderRequest__Output } from '../../teambooth/cluster/TransferLeaderRequest.ts';
import type { TransferLeaderResponse as _teambooth_cluster_TransferLeaderResponse, TransferLeaderResponse__Output as _teambooth_cluster_TransferLeaderResponse__Output } from '../../teambooth/cluster/TransferLeaderResponse.ts';

export interface ClusterClient extends grpc.Client {
  AddNode(argument: _teambooth_cluster_AddNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_MembershipResponse__Output>): grpc.ClientUnaryCall;
  AddNode(argument: _teambooth_cluster_AddNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_cluster_MembershipResponse__Output>): grpc.ClientUnaryCall;
  AddNode(argument: _teambooth_cluster_AddNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_MembershipResponse__Output>): grpc.ClientUnaryCall;
  AddNode(argument: _teambooth_cluster_AddNodeRequest, callback: grpc.requestCallback<_teambooth_cluster_MembershipResponse__Output>): grpc.ClientUnaryCall;
  addNode(argument: _teambooth_cluster_AddNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_MembershipResponse__Output>): grpc.ClientUnaryCall;
  addNode(argument: _teambooth_cluster_AddNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_cluster_MembershipResponse__Output>): grpc.ClientUnaryCall;
  addNode(argument: _teambooth_cluster_AddNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_MembershipResponse__Output>): grpc.ClientUnaryCall;
  addNode(argument: _teambooth_cluster_AddNodeRequest, callback: grpc.requestCallback<_teambooth_cluster_MembershipResponse__Output>): grpc.ClientUnaryCall;
  
  Propose(argument: _teambooth_cluster_ProposeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_ProposeResponse__Output>): grpc.ClientUnaryCall;
  Propose(argument: _teambooth_cluster_ProposeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_cluster_ProposeResponse__Output>): grpc.ClientUnaryCall;
  Propose(argument: _teambooth_cluster_ProposeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_ProposeResponse__Output>): grpc.ClientUnaryCall;
  Propose(argument: _teambooth_cluster_ProposeRequest, callback: grpc.requestCallback<_teambooth_cluster_ProposeResponse__Output>): grpc.ClientUnaryCall;
  propose(argument: _teambooth_cluster_ProposeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_ProposeResponse__Output>): grpc.ClientUnaryCall;
  propose(argument: _teambooth_cluster_ProposeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_cluster_ProposeResponse__Output>): grpc.ClientUnaryCall;
  propose(argument: _teambooth_cluster_ProposeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_ProposeResponse__Output>): grpc.ClientUnaryCall;
  propose(argument: _teambooth_cluster_ProposeRequest, callback: grpc.requestCallback<_teambooth_cluster_ProposeResponse__Output>): grpc.ClientUnaryCall;
  
  Query(argument: _teambooth_cluster_QueryRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_QueryResponse__Output>): grpc.ClientUnaryCall;
  Query(argument: _teambooth_cluster_QueryRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_cluster_QueryResponse__Output>): grpc.ClientUnaryCall;
  Query(argument: _teambooth_cluster_QueryRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_QueryResponse__Output>): grpc.ClientUnaryCall;
  Query(argument: _teambooth_cluster_QueryRequest, callback: grpc.requestCallback<_teambooth_cluster_QueryResponse__Output>): grpc.ClientUnaryCall;
  query(argument: _teambooth_cluster_QueryRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_QueryResponse__Output>): grpc.ClientUnaryCall;
  query(argument: _teambooth_cluster_QueryRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_cluster_QueryResponse__Output>): grpc.ClientUnaryCall;
  query(argument: _teambooth_cluster_QueryRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_QueryResponse__Output>): grpc.ClientUnaryCall;
  query(argument: _teambooth_cluster_QueryRequest, callback: grpc.requestCallback<_teambooth_cluster_QueryResponse__Output>): grpc.ClientUnaryCall;
  
  RemoveNode(argument: _teambooth_cluster_RemoveNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_MembershipResponse__Output>): grpc.ClientUnaryCall;
  RemoveNode(argument: _teambooth_cluster_RemoveNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_cluster_MembershipResponse__Output>): grpc.ClientUnaryCall;
  RemoveNode(argument: _teambooth_cluster_RemoveNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_MembershipResponse__Output>): grpc.ClientUnaryCall;
  RemoveNode(argument: _teambooth_cluster_RemoveNodeRequest, callback: grpc.requestCallback<_teambooth_cluster_MembershipResponse__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _teambooth_cluster_RemoveNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_MembershipResponse__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _teambooth_cluster_RemoveNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_cluster_MembershipResponse__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _teambooth_cluster_RemoveNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_MembershipResponse__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _teambooth_cluster_RemoveNodeRequest, callback: grpc.requestCallback<_teambooth_cluster_MembershipResponse__Output>): grpc.ClientUnaryCall;
  
  Status(argument: _teambooth_cluster_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_NodeStatus__Output>): grpc.ClientUnaryCall;
  Status(argument: _teambooth_cluster_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_cluster_NodeStatus__Output>): grpc.ClientUnaryCall;
  Status(argument: _teambooth_cluster_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_NodeStatus__Output>): grpc.ClientUnaryCall;
  Status(argument: _teambooth_cluster_StatusRequest, callback: grpc.requestCallback<_teambooth_cluster_NodeStatus__Output>): grpc.ClientUnaryCall;
  status(argument: _teambooth_cluster_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_NodeStatus__Output>): grpc.ClientUnaryCall;
  status(argument: _teambooth_cluster_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_cluster_NodeStatus__Output>): grpc.ClientUnaryCall;
  status(argument: _teambooth_cluster_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_NodeStatus__Output>): grpc.ClientUnaryCall;
  status(argument: _teambooth_cluster_StatusRequest, callback: grpc.requestCallback<_teambooth_cluster_NodeStatus__Output>): grpc.ClientUnaryCall;
  
  TransferLeader(argument: _teambooth_cluster_TransferLeaderRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  TransferLeader(argument: _teambooth_cluster_TransferLeaderRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_cluster_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  TransferLeader(argument: _teambooth_cluster_TransferLeaderRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  TransferLeader(argument: _teambooth_cluster_TransferLeaderRequest, callback: grpc.requestCallback<_teambooth_cluster_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  transferLeader(argument: _teambooth_cluster_TransferLeaderRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  transferLeader(argument: _teambooth_cluster_TransferLeaderRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_teambooth_cluster_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  transferLeader(argument: _teambooth_cluster_TransferLeaderRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_teambooth_cluster_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  transferLeader(argument: _teambooth_cluster_TransferLeaderRequest, callback: grpc.requestCallback<_teambooth_cluster_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface ClusterHandlers extends grpc.UntypedServiceImplementation {
  AddNode: grpc.handleUnaryCall<_teambooth_cluster_AddNodeRequest__Output, _teambooth_cluster_MembershipResponse>;
  
  Propose: grpc.handleUnaryCall<_teambooth_cluster_ProposeRequest__Output, _teambooth_cluster_ProposeResponse>;
  
  Query: grpc.handleUnaryCall<_teambooth_cluster_QueryRequest__Output, _teambooth_cluster_QueryResponse>;
  
  RemoveNode: grpc.handleUnaryCall<_teambooth_cluster_RemoveNodeRequest__Output, _teambooth_cluster_MembershipResponse>;
  
  Status: grpc.handleUnaryCall<_teambooth_cluster_StatusRequest__Output, _teambooth_cluster_NodeStatus>;
  
  TransferLeader: grpc.handleUnaryCall<_teambooth_cluster_TransferLeaderRequest__Output, _teambooth_cluster_TransferLeaderResponse>;
  
}

export interface ClusterDefinition extends grpc.ServiceDefinition {
  AddNode: MethodDefinition<_teambooth_cluster_AddNodeRequest, _teambooth_cluster_MembershipResponse, _teambooth_cluster_AddNodeRequest__Output, _teambooth_cluster_MembershipResponse__Output>
  Propose: MethodDefinition<_teambooth_cluster_ProposeRequest, _teambooth_cluster_ProposeResponse, _teambooth_cluster_ProposeRequest__Output, _teambooth_cluster_ProposeResponse__Output>
  Query: MethodDefinition<_teambooth_cluster_QueryRequest, _teambooth_cluster_QueryResponse, _teambooth_cluster_QueryRequest__Output, _teambooth_cluster_QueryResponse__Output>
  RemoveNode: MethodDefinition<_teambooth_cluster_RemoveNodeRequest, _teambooth_cluster_MembershipResponse, _teambooth_cluster_RemoveNodeRequest__Output, _teambooth_cluster_MembershipResponse__Output>
  Status: MethodDefinition<_teambooth_cluster_StatusRequest, _teambooth_cluster_NodeStatus, _teambooth_cluster_StatusRequest__Output, _teambooth_cluster_NodeStatus__Output>
  TransferLeader: MethodDefinition<_teambooth_cluster_TransferLeaderRequest, _teambooth_cluster_TransferLeaderResponse, _teambooth_cluster_TransferLeaderRequest__Output, _teambooth_cluster_TransferLeaderResponse__Output>
}
