import type { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

/** At most 1 hour, by design: agents are untrusted, and a leaked URL must stop working soon. */
export const MAX_PRESIGN_SECONDS = 3600;
/** 10 minutes: enough to move one job's objects; a longer job asks for fresh URLs. */
export const DEFAULT_PRESIGN_SECONDS = 600;

/** Options of a presigned GET. */
export interface PresignGetOptions {
  /** 1 to {@link MAX_PRESIGN_SECONDS}; default the store's `presignExpirySeconds` ({@link DEFAULT_PRESIGN_SECONDS}). */
  expiresInSeconds?: number;
}

/** Options of a presigned PUT. */
export interface PresignPutOptions extends PresignGetOptions {
  /** When set, the upload must send this `Content-Type` (it is signed). */
  contentType?: string;
  /** When set, the upload must be exactly this many bytes (`Content-Length` is signed). */
  contentLength?: number;
}

/** A URL an agent uses without credentials, with the headers it must send. */
export interface PresignedUrl {
  url: string;
  method: 'GET' | 'PUT';
  /** Headers that were signed and must be sent as given (lowercase names). */
  headers: Record<string, string>;
  expiresAt: Date;
}

/** Signs `command` for one key and one method, valid `expiresIn` seconds from `signingClock`. @throws RangeError past {@link MAX_PRESIGN_SECONDS} */
export async function presignS3Url(
  client: S3Client,
  command: GetObjectCommand | PutObjectCommand,
  method: PresignedUrl['method'],
  headers: Record<string, string>,
  expiresIn: number,
  signingClock: () => number,
): Promise<PresignedUrl> {
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS) {
    throw new RangeError(
      `expiresInSeconds must be a whole number from 1 to ${MAX_PRESIGN_SECONDS} (got ${expiresIn}); presigned URLs stay short-lived, so ask for a fresh one instead`,
    );
  }
  const length = headers['content-length'];
  if (length !== undefined && !/^(0|[1-9][0-9]{0,15})$/.test(length)) throw new RangeError(`contentLength must be a whole number of bytes (got ${length})`);
  const signedAt = Math.floor(signingClock() / 1000) * 1000;
  const url = await getSignedUrl(client, command, {
    expiresIn,
    signingDate: new Date(signedAt),
    signableHeaders: new Set(Object.keys(headers)),
  });
  return { url, method, headers, expiresAt: new Date(signedAt + expiresIn * 1000) };
}
