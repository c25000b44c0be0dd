import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { UnauthenticatedError } from '../raft/errors.ts';
import type { ClusterBackend } from './backend.ts';
import { grpcStatusFromError } from './grpc-status.ts';

/** What a unary handler runs with: the request, a signal for the call's life, and its metadata. */
export type UnaryRun<Req, Res> = (request: Req, signal: AbortSignal, metadata: grpc.Metadata) => Res | Promise<Res>;

/**
 * Wraps one unary method: runs it with an AbortSignal that fires when the client cancels or the
 * call's deadline passes (its reason tells the two apart), and maps every error to a status with
 * grpcStatusFromError, so internals never reach the caller.
 */
export function unaryCall<Req, Res>(logger: Logger, now: () => number, run: UnaryRun<Req, Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const controller = new AbortController();
    const signal = controller.signal;
    const deadline = call.getDeadline();
    const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
    const timedOut = (): void => controller.abort(new DOMException('the deadline passed', 'TimeoutError'));
    // gRPC also reports a passed deadline as a cancellation; tell the two apart for the backend.
    const onCancelled = (): void => (now() >= deadlineMs ? timedOut() : controller.abort(new DOMException('the client cancelled the call', 'AbortError')));
    call.once('cancelled', onCancelled);
    let timer: NodeJS.Timeout | undefined;
    if (Number.isFinite(deadlineMs)) timer = setTimeout(timedOut, Math.max(0, deadlineMs - now()));
    const finish = (): void => {
      if (timer) clearTimeout(timer);
      call.removeListener('cancelled', onCancelled);
    };
    const fail = (error: unknown): void => {
      finish();
      callback(grpcStatusFromError(signal.aborted ? signal.reason : error, logger));
    };
    try {
      const result = run(call.request, signal, call.metadata);
      if (result instanceof Promise) {
        result.then((value) => {
          finish();
          callback(null, value);
        }, fail);
      } else {
        finish();
        callback(null, result);
      }
    } catch (error) {
      fail(error);
    }
  };
}

const ADMIN_TOKEN_HINT = 'set TEAMBOOTH_ADMIN_TOKEN to the cluster\'s admin token (it is sent as "authorization: Bearer <token>")';

/** The credential of `authorization: <scheme> <token>` metadata, or undefined. */
export function authorizationToken(metadata: grpc.Metadata, scheme: 'Bearer' | 'Agent'): string | undefined {
  const value = metadata.get('authorization')[0];
  if (typeof value !== 'string') return undefined;
  const match = new RegExp(`^${scheme}\\s+(\\S+)\\s*$`, 'i').exec(value);
  return match ? match[1] : undefined;
}

/** Throws {@link UnauthenticatedError} unless the call carries the admin token. */
export function requireAdmin(backend: Pick<ClusterBackend, 'isAdmin'>, metadata: grpc.Metadata): void {
  const token = authorizationToken(metadata, 'Bearer');
  if (token === undefined) throw new UnauthenticatedError(`this call needs the admin token: ${ADMIN_TOKEN_HINT}`);
  if (!backend.isAdmin(token)) throw new UnauthenticatedError(`the admin token was refused: ${ADMIN_TOKEN_HINT}`);
}
