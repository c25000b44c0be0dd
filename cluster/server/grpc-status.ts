import { Metadata, status as Status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import {
  CommandRejectedError,
  ConfChangeError,
  NotLeaderError,
  ProposalDroppedError,
  UnauthenticatedError,
} from '../raft/errors.ts';
import { ServerError, ServerUnreachableError } from '../client/client-errors.ts';

/**
 * The one place where control-plane errors become gRPC status (server side) and gRPC status
 * becomes typed errors again (client side). Internals never leak: an unexpected error is logged
 * here and the caller only learns that an internal error happened.
 *
 * Typed errors carry `x-teambooth-error: <kind>` in the trailing metadata so the client can tell,
 * for example, a follower's "not the leader" (UNAVAILABLE + leader hint) from a dead connection
 * (UNAVAILABLE without it).
 */

/** Trailing-metadata keys set by {@link grpcStatusFromError}. */
export const ERROR_METADATA = {
  kind: 'x-teambooth-error',
  leaderId: 'x-teambooth-leader-id',
  leaderAddress: 'x-teambooth-leader-address',
  rejectCode: 'x-teambooth-reject-code',
} as const;

/** What a handler passes to its callback (or `call.emit('error', ...)`). */
export interface GrpcStatus {
  code: Status;
  details: string;
  metadata: Metadata;
}

/** The fields of a failed call that {@link errorFromGrpcStatus} reads. */
export interface GrpcStatusLike {
  code: number;
  details: string;
  metadata?: Metadata | undefined;
}

type RejectCode = CommandRejectedError['code'];

const REJECT_STATUS: Record<RejectCode, Status> = {
  invalid: Status.INVALID_ARGUMENT,
  not_found: Status.NOT_FOUND,
  already_exists: Status.ALREADY_EXISTS,
  permission_denied: Status.PERMISSION_DENIED,
  failed_precondition: Status.FAILED_PRECONDITION,
  resource_exhausted: Status.RESOURCE_EXHAUSTED,
};

const STATUS_REJECT: Partial<Record<Status, RejectCode>> = Object.fromEntries(
  Object.entries(REJECT_STATUS).map(([code, status]) => [status, code as RejectCode]),
);

function status(code: Status, details: string, kind: string, extra?: Record<string, string>): GrpcStatus {
  const metadata = new Metadata();
  metadata.set(ERROR_METADATA.kind, kind);
  if (extra) for (const [key, value] of Object.entries(extra)) metadata.set(key, value);
  return { code, details, metadata };
}

function errorName(error: unknown): string {
  return typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string' ? error.name : '';
}

/**
 * Maps an error thrown while serving a call to the status the caller receives:
 * - NotLeaderError: UNAVAILABLE with the leader's id and address in the trailing metadata,
 * - ProposalDroppedError: UNAVAILABLE (retry later),
 * - ConfChangeError: FAILED_PRECONDITION,
 * - CommandRejectedError: INVALID_ARGUMENT / NOT_FOUND / ALREADY_EXISTS / PERMISSION_DENIED /
 *   FAILED_PRECONDITION / RESOURCE_EXHAUSTED after its code,
 * - UnauthenticatedError: UNAUTHENTICATED,
 * - AbortError: CANCELLED, TimeoutError: DEADLINE_EXCEEDED,
 * - anything else: INTERNAL with a generic message; the error itself goes to `logger`.
 */
export function grpcStatusFromError(error: unknown, logger: Logger): GrpcStatus {
  if (error instanceof NotLeaderError) {
    return status(Status.UNAVAILABLE, error.message, 'not_leader', {
      [ERROR_METADATA.leaderId]: error.leaderId,
      [ERROR_METADATA.leaderAddress]: error.leaderAddress,
    });
  }
  if (error instanceof ProposalDroppedError) return status(Status.UNAVAILABLE, error.message, 'proposal_dropped');
  if (error instanceof ConfChangeError) return status(Status.FAILED_PRECONDITION, error.message, 'conf_change');
  if (error instanceof CommandRejectedError) {
    return status(REJECT_STATUS[error.code] ?? Status.INVALID_ARGUMENT, error.message, 'rejected', {
      [ERROR_METADATA.rejectCode]: error.code,
    });
  }
  if (error instanceof UnauthenticatedError) return status(Status.UNAUTHENTICATED, error.message, 'unauthenticated');
  const name = errorName(error);
  if (name === 'AbortError') return status(Status.CANCELLED, 'the call was cancelled', 'aborted');
  if (name === 'TimeoutError') return status(Status.DEADLINE_EXCEEDED, 'the deadline passed before the call finished', 'aborted');
  logger.error({ err: error }, 'internal error while serving a call');
  return status(Status.INTERNAL, "internal error; the server's log has the details", 'internal');
}

/**
 * The client-side reverse of {@link grpcStatusFromError}: turns a failed call's status into the
 * typed error it stands for. `server` (host:port) names the server in the messages of errors
 * that are about the connection rather than the request.
 */
export function errorFromGrpcStatus(failure: GrpcStatusLike, server: string): Error {
  const metadata = failure.metadata;
  const read = (key: string): string => {
    const value = metadata?.get(key)[0];
    return typeof value === 'string' ? value : '';
  };
  const kind = read(ERROR_METADATA.kind);
  const details = failure.details || `status ${Status[failure.code] ?? failure.code}`;
  switch (kind) {
    case 'not_leader':
      return new NotLeaderError(read(ERROR_METADATA.leaderId), read(ERROR_METADATA.leaderAddress));
    case 'proposal_dropped':
      return new ProposalDroppedError(details);
    case 'conf_change':
      return new ConfChangeError(details);
    case 'rejected': {
      const code = read(ERROR_METADATA.rejectCode);
      return new CommandRejectedError(details, code in REJECT_STATUS ? (code as RejectCode) : (STATUS_REJECT[failure.code as Status] ?? 'invalid'));
    }
    case 'unauthenticated':
      return new UnauthenticatedError(details);
  }
  switch (failure.code) {
    case Status.UNAUTHENTICATED:
      return new UnauthenticatedError(details);
    case Status.CANCELLED:
      // The caller's own cancellations never get here (the client throws its signal's reason), so
      // the server or something between cut the call: a node shutting down, for example.
      return new ServerUnreachableError(server, `the call was cut off (${details})`);
    case Status.UNAVAILABLE:
      return new ServerUnreachableError(server, details);
    case Status.DEADLINE_EXCEEDED:
      return new ServerUnreachableError(server, 'no answer before the deadline');
  }
  const rejectCode = STATUS_REJECT[failure.code as Status];
  if (rejectCode) return new CommandRejectedError(details, rejectCode);
  return new ServerError(server, details);
}
