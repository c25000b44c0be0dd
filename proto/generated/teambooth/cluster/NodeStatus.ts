// Original file: proto/cluster.proto

import type { ConfState as _teambooth_cluster_ConfState, ConfState__Output as _teambooth_cluster_ConfState__Output } from '../../teambooth/cluster/ConfState.ts';
import type { Long } from '@grpc/proto-loader';

export interface NodeStatus {
  'id'?: (string);
  'address'?: (string);
  'clusterId'?: (string);
  /**
   * follower, preCandidate, candidate, leader or learner.
   */
  'role'?: (string);
  'term'?: (number | string | Long);
  'commitIndex'?: (number | string | Long);
  'appliedIndex'?: (number | string | Long);
  'leaderId'?: (string);
  'leaderAddress'?: (string);
  'conf'?: (_teambooth_cluster_ConfState | null);
  /**
   * Current model version id, or empty when none has been imported.
   */
  'modelVersion'?: (string);
}

export interface NodeStatus__Output {
  'id': (string);
  'address': (string);
  'clusterId': (string);
  /**
   * follower, preCandidate, candidate, leader or learner.
   */
  'role': (string);
  'term': (number);
  'commitIndex': (number);
  'appliedIndex': (number);
  'leaderId': (string);
  'leaderAddress': (string);
  'conf': (_teambooth_cluster_ConfState__Output | null);
  /**
   * Current model version id, or empty when none has been imported.
   */
  'modelVersion': (string);
}
