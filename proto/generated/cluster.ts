import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AddNodeRequest as _teambooth_cluster_AddNodeRequest, AddNodeRequest__Output as _teambooth_cluster_AddNodeRequest__Output } from './teambooth/cluster/AddNodeRequest.ts';
import type { ClusterClient as _teambooth_cluster_ClusterClient, ClusterDefinition as _teambooth_cluster_ClusterDefinition } from './teambooth/cluster/Cluster.ts';
import type { ConfState as _teambooth_cluster_ConfState, ConfState__Output as _teambooth_cluster_ConfState__Output } from './teambooth/cluster/ConfState.ts';
import type { MembershipResponse as _teambooth_cluster_MembershipResponse, MembershipResponse__Output as _teambooth_cluster_MembershipResponse__Output } from './teambooth/cluster/MembershipResponse.ts';
import type { NodeStatus as _teambooth_cluster_NodeStatus, NodeStatus__Output as _teambooth_cluster_NodeStatus__Output } from './teambooth/cluster/NodeStatus.ts';
import type { ProposeRequest as _teambooth_cluster_ProposeRequest, ProposeRequest__Output as _teambooth_cluster_ProposeRequest__Output } from './teambooth/cluster/ProposeRequest.ts';
import type { ProposeResponse as _teambooth_cluster_ProposeResponse, ProposeResponse__Output as _teambooth_cluster_ProposeResponse__Output } from './teambooth/cluster/ProposeResponse.ts';
import type { QueryRequest as _teambooth_cluster_QueryRequest, QueryRequest__Output as _teambooth_cluster_QueryRequest__Output } from './teambooth/cluster/QueryRequest.ts';
import type { QueryResponse as _teambooth_cluster_QueryResponse, QueryResponse__Output as _teambooth_cluster_QueryResponse__Output } from './teambooth/cluster/QueryResponse.ts';
import type { RemoveNodeRequest as _teambooth_cluster_RemoveNodeRequest, RemoveNodeRequest__Output as _teambooth_cluster_RemoveNodeRequest__Output } from './teambooth/cluster/RemoveNodeRequest.ts';
import type { StatusRequest as _teambooth_cluster_StatusRequest, StatusRequest__Output as _teambooth_cluster_StatusRequest__Output } from './teambooth/cluster/StatusRequest.ts';
import type { TransferLeaderRequest as _teambooth_cluster_TransferLeaderRequest, TransferLeaderRequest__Output as _teambooth_cluster_TransferLeaderRequest__Output } from './teambooth/cluster/TransferLeaderRequest.ts';
import type { TransferLeaderResponse as _teambooth_cluster_TransferLeaderResponse, TransferLeaderResponse__Output as _teambooth_cluster_TransferLeaderResponse__Output } from './teambooth/cluster/TransferLeaderResponse.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  teambooth: {
    cluster: {
      AddNodeRequest: MessageTypeDefinition<_teambooth_cluster_AddNodeRequest, _teambooth_cluster_AddNodeRequest__Output>
      Cluster: SubtypeConstructor<typeof grpc.Client, _teambooth_cluster_ClusterClient> & { service: _teambooth_cluster_ClusterDefinition }
      ConfState: MessageTypeDefinition<_teambooth_cluster_ConfState, _teambooth_cluster_ConfState__Output>
      MembershipResponse: MessageTypeDefinition<_teambooth_cluster_MembershipResponse, _teambooth_cluster_MembershipResponse__Output>
      NodeStatus: MessageTypeDefinition<_teambooth_cluster_NodeStatus, _teambooth_cluster_NodeStatus__Output>
      ProposeRequest: MessageTypeDefinition<_teambooth_cluster_ProposeRequest, _teambooth_cluster_ProposeRequest__Output>
      ProposeResponse: MessageTypeDefinition<_teambooth_cluster_ProposeResponse, _teambooth_cluster_ProposeResponse__Output>
      QueryRequest: MessageTypeDefinition<_teambooth_cluster_QueryRequest, _teambooth_cluster_QueryRequest__Output>
      QueryResponse: MessageTypeDefinition<_teambooth_cluster_QueryResponse, _teambooth_cluster_QueryResponse__Output>
      RemoveNodeRequest: MessageTypeDefinition<_teambooth_cluster_RemoveNodeRequest, _teambooth_cluster_RemoveNodeRequest__Output>
      StatusRequest: MessageTypeDefinition<_teambooth_cluster_StatusRequest, _teambooth_cluster_StatusRequest__Output>
      TransferLeaderRequest: MessageTypeDefinition<_teambooth_cluster_TransferLeaderRequest, _teambooth_cluster_TransferLeaderRequest__Output>
      TransferLeaderResponse: MessageTypeDefinition<_teambooth_cluster_TransferLeaderResponse, _teambooth_cluster_TransferLeaderResponse__Output>
    }
  }
}

