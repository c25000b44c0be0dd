import { resolveAdminToken } from '../../config/admin-token.ts';
import { toNodeConfig } from '../../config/node-config.ts';
import type { CommonOptions } from '../command.ts';
import { defineCommand } from '../command.ts';
import { commandLogger, loadCommandConfig } from '../command-support.ts';

interface NodeOptions extends CommonOptions {
  id?: string;
  listen?: string;
  advertise?: string;
  peers?: string;
  dataDir?: string;
  clusterId?: string;
  join?: boolean;
  metricsListen?: string;
}

/**
 * `teambooth node`: runs one cluster member until SIGINT or SIGTERM, then closes it cleanly
 * (exit 0). A second signal while closing exits at once (status 1).
 */
export const nodeCommand = defineCommand<NodeOptions>({
  path: ['node'],
  summary: 'run one cluster node',
  define(command) {
    command
      .option('--id <id>', 'this node id, e.g. n1')
      .option('--listen <host:port>', 'address to listen on (default 127.0.0.1:7001)')
      .option('--advertise <host:port>', 'address peers and clients dial (default: --listen)')
      .option('--peers <list>', 'bootstrap members, e.g. n1=127.0.0.1:7001,n2=127.0.0.1:7002,n3=127.0.0.1:7003 (must include this node)')
      .option('--data-dir <dir>', 'where the log and snapshots live (default .teambooth/<id>)')
      .option('--cluster-id <id>', 'expected cluster id (default: generated at bootstrap and kept in the data dir)')
      .option('--join', 'start as a new member without bootstrap membership and wait for `teambooth cluster add-node`')
      .option('--metrics-listen <host:port>', 'serve Prometheus metrics at http://<host:port>/metrics (default: none; port 0 picks a free one)');
  },
  async execute(input) {
    const { options, ctx } = input;
    const loaded = loadCommandConfig(input, {
      node: {
        id: options.id,
        listen: options.listen,
        advertise: options.advertise,
        peers: options.peers,
        dataDir: options.dataDir,
        clusterId: options.clusterId,
        join: options.join,
        metricsListen: options.metricsListen,
      },
    });
    // Validate the node settings before creating any file.
    const settled = toNodeConfig(loaded.config, '', loaded.sources);
    const config = { ...settled, adminToken: await resolveAdminToken(loaded.config, ctx.cwd, { randomBytes: (size) => ctx.randomBytes(size), signal: input.signal }) };
    const logger = commandLogger(input, loaded, 'server').child({ nodeId: config.id });

    let stopRequested: (signal: string) => void = () => undefined;
    const stopSignals: string[] = [];
    const firstSignal = new Promise<string>((resolve) => {
      stopRequested = resolve;
    });
    let forced: (signal: string) => void = () => undefined;
    const secondSignal = new Promise<string>((resolve) => {
      forced = resolve;
    });
    const unsubscribe = ctx.onShutdownSignal((signal) => {
      stopSignals.push(signal);
      if (stopSignals.length === 1) stopRequested(signal);
      else forced(signal);
    });
    try {
      const running = await ctx.startNode(config, logger);
      logger.info({ address: running.address, metrics: running.metricsUrl, dataDir: config.dataDir, peers: config.peers, join: config.join }, 'node started');
      const metrics = running.metricsUrl === undefined ? '' : `, metrics at ${running.metricsUrl}`;
      ctx.stdout.write(`node ${config.id} serving at ${running.address} (data: ${config.dataDir}${metrics}); stop with Ctrl-C\n`);

      const signal = await firstSignal;
      logger.info({ signal }, 'stopping');
      const outcome = await Promise.race([running.close().then(() => 'closed' as const), secondSignal.then(() => 'forced' as const)]);
      if (outcome === 'forced') {
        ctx.stderr.write(`node ${config.id}: second signal, exiting without a clean close\n`);
        return 1;
      }
      logger.info('stopped');
      return 0;
    } finally {
      unsubscribe();
    }
  },
});
