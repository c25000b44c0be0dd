/** The part of s3rver 3.x (a CommonJS package without types) that embedded-s3.ts uses. */
declare module 's3rver' {
  import { EventEmitter } from 'node:events';
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface S3rverOptions {
    directory: string;
    silent?: boolean;
    address?: string;
    port?: number;
    vhostBuckets?: boolean;
    allowMismatchedSignatures?: boolean;
    resetOnClose?: boolean;
    configureBuckets?: Array<{ name: string; configs?: Array<string | Buffer> }>;
  }

  class S3rver extends EventEmitter {
    constructor(options: S3rverOptions);
    /** Creates the `configureBuckets` buckets directly in the store. */
    configureBuckets(): Promise<void>;
    /** The request handler, for a server the caller owns. */
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
    logger: { close(): void };
  }

  export = S3rver;
}
