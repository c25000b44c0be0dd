import { resolve } from 'node:path';
import { startEmbeddedS3 } from '../../cluster/blob-store/embedded-s3.ts';
import { splitHostPort } from '../../config/address.ts';
import type { CommonOptions } from '../command.ts';
import { defineCommand } from '../command.ts';
import { commandLogger, loadCommandConfig } from '../command-support.ts';
import { UsageError } from '../usage-error.ts';

interface S3Options extends CommonOptions {
  listen?: string;
  dir?: string;
}

/**
 * `teambooth s3`: the embedded S3 server (s3rver behind a signature check) for a cluster on one
 * machine, until SIGINT or SIGTERM. `teambooth up` runs it as its own process when no S3
 * endpoint is configured; it checks requests against the configured credentials
 * (TEAMBOOTH_S3_ACCESS_KEY_ID / TEAMBOOTH_S3_SECRET_ACCESS_KEY), else the local ones.
 */
export const s3Command = defineCommand<S3Options>({
  path: ['s3'],
  summary: 'run the embedded S3 server (teambooth up starts it when no S3 endpoint is configured)',
  define(command) {
    command
      .option('--listen <host:port>', 'address to listen on (default s3.embeddedListen, 127.0.0.1:7100)')
      .option('--dir <dir>', 'where objects live (default s3.embeddedDir, .teambooth/s3)');
  },
  async execute(input) {
    const { ctx } = input;
    const loaded = loadCommandConfig(input, { s3: { embeddedListen: input.options.listen, embeddedDir: input.options.dir } });
    const { s3 } = loaded.config;
    const logger = commandLogger(input, loaded, 'server').child({ component: 's3' });
    const { host, port } = splitHostPort(s3.embeddedListen);
    let stopped: () => void = () => {};
    const signalled = new Promise<void>((done) => (stopped = done));
    const unsubscribe = ctx.onShutdownSignal(() => stopped());
    try {
      const server = await startEmbeddedS3({
        directory: resolve(ctx.cwd, s3.embeddedDir),
        host,
        port,
        bucket: s3.bucket,
        logger,
        ...(s3.accessKeyId === undefined || s3.secretAccessKey === undefined ? {} : { credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } }),
      }).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRINUSE') throw new UsageError(`port ${port} on ${host} is already in use: stop whatever holds it, or choose another with --listen (or TEAMBOOTH_S3_EMBEDDED_LISTEN)`);
        throw error;
      });
      ctx.stdout.write(`S3 serving at ${server.endpoint}, bucket ${s3.bucket} (objects in ${s3.embeddedDir}); stop with Ctrl-C\n`);
      await signalled;
      await server.stop();
      return 0;
    } finally {
      unsubscribe();
    }
  },
});
