/** Typed errors of the control plane. They are mapped to gRPC status codes in one place (cluster/server/grpc-status.ts). */

/** This node is not the leader; `leaderHint` is the leader's id and address when known. */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
  constructor(
    readonly leaderId: string,
    readonly leaderAddress: string,
  ) {
    super(leaderId ? `not the leader; the leader is ${leaderId} at ${leaderAddress || 'an unknown address'}` : 'not the leader; no leader is known yet');
  }
}

/** The proposal could not be accepted now (leadership transfer, too many uncommitted bytes, lost leadership). Retry later. */
export class ProposalDroppedError extends Error {
  override readonly name = 'ProposalDroppedError';
}

/** A membership change is already in progress, or the requested change is invalid. */
export class ConfChangeError extends Error {
  override readonly name = 'ConfChangeError';
}

/** The request was well-formed but refused by the state machine (unknown agent, duplicate token...). */
export class CommandRejectedError extends Error {
  override readonly name = 'CommandRejectedError';
  constructor(
    message: string,
    readonly code: 'invalid' | 'not_found' | 'already_exists' | 'permission_denied' | 'failed_precondition' | 'resource_exhausted' = 'invalid',
  ) {
    super(message);
  }
}

/** The caller is not authenticated for this call. */
export class UnauthenticatedError extends Error {
  override readonly name = 'UnauthenticatedError';
}

/** Stable storage is unusable (corruption outside the tail, data dir of another cluster or node). */
export class StorageError extends Error {
  override readonly name = 'StorageError';
}
