import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import { joinHostPort } from '../../config/address.ts';
import type { Logger } from '../../config/logger.ts';
import type { S3Credentials } from './s3-blob-store.ts';
import { verifySigV4 } from './sigv4-verifier.ts';

/**
 * Credentials of the embedded S3 server when none are configured. They are public (they are in
 * this file) and only fit a server that listens on 127.0.0.1 for one machine; set
 * TEAMBOOTH_S3_ACCESS_KEY_ID and TEAMBOOTH_S3_SECRET_ACCESS_KEY before exposing it to agents
 * elsewhere. Never used for any other S3 endpoint.
 */
export const EMBEDDED_S3_LOCAL_CREDENTIALS: Readonly<S3Credentials> = Object.freeze({
  accessKeyId: 'teambooth-local',
  secretAccessKey: 'teambooth-local-not-a-secret',
});

/** Options of {@link startEmbeddedS3}. */
export interface EmbeddedS3Options {
  /** Where objects live on disk (created if missing). */
  directory: string;
  /** 0 picks a free port (default). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Requests are logged here at debug, refusals at info; s3rver's own logging is silenced. */
  logger: Logger;
  /** Created at start when missing. */
  bucket: string;
  /** Default {@link EMBEDDED_S3_LOCAL_CREDENTIALS}. */
  credentials?: S3Credentials;
  /** Milliseconds since the epoch, for signature expiry (default `Date.now`). */
  now?: () => number;
}

/** A running embedded S3 server. */
export interface EmbeddedS3 {
  /** `http://host:port`, for `s3.endpoint`. */
  endpoint: string;
  port: number;
  credentials: Readonly<S3Credentials>;
  /** Stops listening and closes every connection. */
  stop(): Promise<void>;
}

function sendError(response: ServerResponse, status: number, code: string, message: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message.replace(/[<&>]/g, '')}</Message></Error>`;
  response.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/** The request as s3rver should see it: verified already, so without its signature. */
function stripSignature(request: IncomingMessage): void {
  delete request.headers.authorization;
  const url = request.url ?? '/';
  const at = url.indexOf('?');
  if (at < 0) return;
  const kept = url
    .slice(at + 1)
    .split('&')
    .filter((pair) => pair !== '' && !pair.toLowerCase().startsWith('x-amz-'));
  request.url = kept.length === 0 ? url.slice(0, at) : `${url.slice(0, at)}?${kept.join('&')}`;
}

/**
 * Starts the S3 server for one machine (what `npm start` runs): s3rver, storing objects under
 * `directory`, behind a gate that checks every request's AWS Signature V4 (s3rver itself does not),
 * so only holders of the credentials, or of a presigned URL for one key, can read or write.
 * Anonymous requests are refused. Creates `bucket`.
 */
export async function startEmbeddedS3(options: EmbeddedS3Options): Promise<EmbeddedS3> {
  const host = options.host ?? '127.0.0.1';
  const credentials = options.credentials ?? EMBEDDED_S3_LOCAL_CREDENTIALS;
  const now = options.now ?? Date.now;
  const logger = options.logger;
  await mkdir(options.directory, { recursive: true });
  const s3rver = new S3rver({
    directory: options.directory,
    silent: true,
    vhostBuckets: false,
    configureBuckets: [{ name: options.bucket }],
  });
  // A listener replaces Koa's default error printer.
  s3rver.on('error', (error: unknown) => logger.debug({ err: error }, 'embedded S3 request error'));
  await s3rver.configureBuckets();
  const handle = s3rver.callback();

  const server = createServer((request, response) => {
    const started = now();
    const path = (request.url ?? '/').split('?', 1)[0];
    response.once('finish', () => logger.debug({ method: request.method, path, status: response.statusCode, ms: now() - started }, 'embedded S3 request'));
    const refusal = verifySigV4({ method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers }, credentials, now());
    if (refusal !== undefined) {
      logger.info({ method: request.method, path, code: refusal.code }, 'embedded S3 refused a request');
      request.resume();
      sendError(response, refusal.status, refusal.code, refusal.message);
      return;
    }
    stripSignature(request);
    handle(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${joinHostPort(host, port)}`;
  logger.info({ endpoint, bucket: options.bucket, directory: options.directory }, 'embedded S3 started');
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    port,
    credentials,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => s3rver.logger.close());
      return stopped;
    },
  };
}
