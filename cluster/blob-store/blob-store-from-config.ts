import { dialHost, joinHostPort, splitHostPort } from '../../config/address.ts';
import type { Logger } from '../../config/logger.ts';
import type { S3Config } from '../../config/schema.ts';
import { EMBEDDED_S3_LOCAL_CREDENTIALS } from './embedded-s3.ts';
import type { S3BlobStoreOptions } from './s3-blob-store.ts';

/** Injected dependencies of a blob store. */
export interface BlobStoreDependencies {
  logger: Logger;
  now?: () => number;
  random?: () => number;
  /** The embedded server's actual endpoint when it was started on port 0 (default: from `s3.embeddedListen`). */
  embeddedEndpoint?: string;
}

/**
 * The options of an `S3BlobStore` for the `s3` config section. Without `s3.endpoint` it targets
 * the embedded S3 server; credentials are the configured ones (from TEAMBOOTH_S3_* variables), else
 * the embedded server's local ones for the embedded server, else the AWS SDK's default chain.
 */
export function s3BlobStoreOptions(config: S3Config, deps: BlobStoreDependencies): S3BlobStoreOptions {
  const embedded = config.endpoint === undefined;
  const listen = splitHostPort(config.embeddedListen);
  const endpoint = config.endpoint ?? deps.embeddedEndpoint ?? `http://${joinHostPort(dialHost(listen.host), listen.port)}`;
  const credentials =
    config.accessKeyId !== undefined && config.secretAccessKey !== undefined
      ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey }
      : embedded
        ? { ...EMBEDDED_S3_LOCAL_CREDENTIALS }
        : undefined;
  return {
    endpoint,
    ...(config.publicEndpoint === undefined ? {} : { publicEndpoint: config.publicEndpoint }),
    region: config.region,
    bucket: config.bucket,
    forcePathStyle: config.forcePathStyle,
    ...(credentials === undefined ? {} : { credentials }),
    logger: deps.logger.child({ component: 'blob-store' }),
    retry: { deadlineMs: config.deadlineMs },
    presignExpirySeconds: config.presignExpirySeconds,
    ...(deps.now === undefined ? {} : { now: deps.now }),
    ...(deps.random === undefined ? {} : { random: deps.random }),
  };
}
