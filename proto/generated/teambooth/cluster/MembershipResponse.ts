// Original file: proto/cluster.proto

import type { ConfState as _teambooth_cluster_ConfState, ConfState__Output as _teambooth_cluster_ConfState__Output } from '../../teambooth/cluster/ConfState.ts';

export interface MembershipResponse {
  /**
   * Membership after the change.
   */
  'conf'?: (_teambooth_cluster_ConfState | null);
}

export interface MembershipResponse__Output {
  /**
   * Membership after the change.
   */
  'conf': (_teambooth_cluster_ConfState__Output | null);
}
