/**
 * Errors that only a client of the cluster sees (the server-side ones are in
 * cluster/raft/errors.ts and travel as gRPC status, see cluster/server/grpc-status.ts).
 */

/** One server could not be reached, or gave up on the call (transport failure, timeout). Retryable elsewhere. */
export class ServerUnreachableError extends Error {
  override readonly name = 'ServerUnreachableError';
  constructor(
    readonly server: string,
    detail: string,
  ) {
    super(`${server} is unreachable: ${detail}`);
  }
}

/** The server failed in a way the client cannot fix (internal error, unknown status). Not retried. */
export class ServerError extends Error {
  override readonly name = 'ServerError';
  constructor(
    readonly server: string,
    detail: string,
  ) {
    super(`${server} failed: ${detail}`);
  }
}

/** No server (or no leader, for writes) answered within the client's deadline. */
export class ClusterUnavailableError extends Error {
  override readonly name = 'ClusterUnavailableError';
  constructor(
    message: string,
    readonly lastError: Error | undefined,
  ) {
    super(message);
  }
}
