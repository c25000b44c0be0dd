import { BlobNotFoundError, BlobStoreError, BlobStoreUnavailableError } from './blob-store-errors.ts';
import { describeFailure, isTransientS3Error } from './retry-transient.ts';

/** What {@link toBlobStoreError} needs to name in its messages. */
export interface ErrorContext {
  operation: string;
  bucket: string;
  endpoint: string;
  /** The caller's signal: an abort is passed through unchanged. */
  signal?: AbortSignal | undefined;
}

const ACCESS_CODES = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'Forbidden']);
const NAME_CODES = new Set(['ENOTFOUND', 'EAI_NONAME']);

function prop(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

/**
 * The one place where AWS SDK failures become blob-store errors (as a gRPC service maps errors to
 * status in one function): not found, missing bucket, refused credentials, unknown host, and
 * anything else with the operation and endpoint named. Aborts and blob-store errors pass through.
 */
export function toBlobStoreError(error: unknown, context: ErrorContext): unknown {
  if (error instanceof BlobStoreError) return error;
  if (context.signal?.aborted && error === context.signal.reason) return error;
  if (error instanceof TypeError || error instanceof RangeError) return error;
  const name = prop(error, 'name');
  const code = prop(error, 'code') ?? prop(prop(error, 'cause'), 'code');
  const status = prop(prop(error, '$metadata'), 'httpStatusCode');
  const key = context.operation.split(' ').slice(1).join(' ');
  if (name === 'NoSuchBucket') {
    return new BlobStoreError(
      'no_bucket',
      `bucket ${context.bucket} does not exist at ${context.endpoint}; create it (the cluster does at start-up) or check s3.bucket (TEAMBOOTH_S3_BUCKET)`,
      { cause: error },
    );
  }
  if (name === 'NoSuchKey' || ((name === 'NotFound' || status === 404) && !context.operation.includes('bucket'))) {
    return new BlobNotFoundError(context.bucket, key, { cause: error });
  }
  if ((typeof name === 'string' && ACCESS_CODES.has(name)) || status === 403) {
    return new BlobStoreError(
      'access_denied',
      `S3 at ${context.endpoint} refused ${context.operation} (${describeFailure(error)}); check TEAMBOOTH_S3_ACCESS_KEY_ID and ` +
        `TEAMBOOTH_S3_SECRET_ACCESS_KEY, and that they may read and write bucket ${context.bucket}`,
      { cause: error },
    );
  }
  if (typeof code === 'string' && NAME_CODES.has(code)) {
    return new BlobStoreUnavailableError(context.endpoint, { attempts: 1, reason: `its host name does not resolve (${code})` }, { cause: error });
  }
  if (isTransientS3Error(error)) {
    // A transient failure that was not retried (a one-shot stream body).
    return new BlobStoreUnavailableError(context.endpoint, { attempts: 1, reason: describeFailure(error) }, { cause: error });
  }
  return new BlobStoreError('failed', `S3 ${context.operation} at ${context.endpoint} failed: ${describeFailure(error)}`, { cause: error });
}
