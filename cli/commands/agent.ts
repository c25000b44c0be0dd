import { hostname, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { Option } from 'commander';
import { JOB_LIMITS } from '../../cluster/jobs/job-params.ts';
import type { MetricsServer } from '../../cluster/metrics/metrics-server.ts';
import { hostPortProblem } from '../../config/address.ts';
import type { Device } from '../../gpu-agent/onnx/runtime.ts';
import type { CommonOptions } from '../command.ts';
import { defineCommand } from '../command.ts';
import { commandLogger, loadCommandConfig, readTlsFiles, serverOverrides } from '../command-support.ts';
import { UsageError } from '../usage-error.ts';
import { EXIT_INTERRUPTED, interruptible } from './local-model-command.ts';

interface AgentOptions extends CommonOptions {
  servers?: string;
  token?: string;
  device: Device;
  cacheDir: string;
  maxJobs: string;
  name?: string;
  maxImageSize?: string;
  /** False with --no-train. */
  train: boolean;
  metricsListen?: string;
}

/** The environment variable that carries the agent token (preferred to --token, which `ps` shows). */
export const AGENT_TOKEN_ENV = 'TEAMBOOTH_AGENT_TOKEN';

const MAX_JOBS = 16;

/**
 * `teambooth agent`: the process a community member runs on their GPU machine. It authenticates
 * with an agent token, takes imagine and train jobs from the cluster, runs them with the project's
 * pipeline and trainer, and uploads the results through presigned URLs (gpu-agent/agent/). The
 * first SIGINT/SIGTERM gives running jobs back and exits 0; a second one exits at once.
 */
export const agentCommand = defineCommand<AgentOptions>({
  path: ['agent'],
  summary: 'run a GPU agent: take imagine and train jobs from the cluster (token in TEAMBOOTH_AGENT_TOKEN)',
  define(command) {
    command
      .option('--servers <list>', 'comma-separated host:port of the nodes')
      .option('--token <token>', `the agent token; prefer ${AGENT_TOKEN_ENV} (other users can see flags in \`ps\`)`)
      .addOption(new Option('--device <device>', 'where to run: auto tries CUDA, then the CPU').choices(['auto', 'cuda', 'cpu']).default('auto'))
      .option('--cache-dir <dir>', 'where models and scratch files are kept', join('.teambooth', 'agent-cache'))
      .option('--max-jobs <n>', `jobs run at once, 1..${MAX_JOBS}`, '1')
      .option('--name <name>', 'name of this machine in the logs (default: the host name)')
      .option('--max-image-size <n>', 'largest image side to take jobs for (default: 512 on the CPU, 1024 on CUDA)')
      .option('--no-train', 'take imagine jobs only')
      .option('--metrics-listen <host:port>', 'serve Prometheus metrics at http://<host:port>/metrics (default: none; port 0 picks a free one)');
  },
  async execute(input) {
    const { options, ctx } = input;
    const token = nonEmpty(options.token) ?? nonEmpty(ctx.env[AGENT_TOKEN_ENV]);
    if (token === undefined) {
      throw new UsageError(
        `an agent token is needed: create one with \`teambooth agents token create --name NAME\` (where the admin token is), then run the agent with ${AGENT_TOKEN_ENV}=<token> in its environment`,
      );
    }
    const maxJobs = integerFlag('--max-jobs', options.maxJobs, 1, MAX_JOBS);
    const maxImageSize = options.maxImageSize === undefined ? undefined : integerFlag('--max-image-size', options.maxImageSize, 8, JOB_LIMITS.maxImageSide);
    const metricsProblem = options.metricsListen === undefined ? undefined : hostPortProblem(options.metricsListen, { allowPortZero: true });
    if (metricsProblem !== undefined) throw new UsageError(`--metrics-listen ${metricsProblem}`);
    const loaded = loadCommandConfig(input, serverOverrides(options.servers));
    const { config } = loaded;
    const logger = commandLogger(input, loaded, 'server').child({ component: 'agent', agent: options.name ?? hostname() });
    const cacheDir = resolve(ctx.cwd, options.cacheDir);
    const tls = config.tls === undefined ? undefined : await readTlsFiles(config.tls, ctx.cwd, input.signal);

    // ONNX Runtime and the pipeline load only when the agent runs, so `--help` stays fast.
    const { clusterAgent } = await import('../../gpu-agent/agent/cluster-agent.ts');
    const { startMetricsServer } = await import('../../cluster/metrics/metrics-server.ts');
    const client = await ctx.createClient({ servers: config.client.servers, agentToken: token, logger, deadlineMs: config.client.deadlineMs, ...(tls === undefined ? {} : { tls }) });

    // The first signal stops the agent gracefully (through `scope`); a second one ends the command at once.
    const scope = interruptible(input);
    let signals = 0;
    let exitNow: (status: number) => void = () => undefined;
    const forced = new Promise<number>((resolveForced) => (exitNow = resolveForced));
    const unsubscribe = ctx.onShutdownSignal((signal) => {
      if (++signals === 1) logger.info({ signal }, 'stopping: giving running jobs back (send the signal again to exit at once)');
      else exitNow(EXIT_INTERRUPTED);
    });
    let metrics: MetricsServer | undefined;
    try {
      if (options.metricsListen !== undefined) {
        metrics = await startMetricsServer({ listen: options.metricsListen });
        logger.info({ metrics: metrics.url }, 'serving metrics');
      }
      const agent = clusterAgent({
        client,
        cacheDir,
        device: options.device,
        logger,
        maxJobs,
        canTrain: options.train,
        ...(maxImageSize === undefined ? {} : { maxImageSize }),
        memoryMb: Math.round(totalmem() / 2 ** 20),
        now: () => ctx.now(),
        sleep: (ms, signal) => ctx.sleep(ms, signal),
        random: () => ctx.randomBytes(4).readUInt32BE(0) / 2 ** 32,
        ...(metrics === undefined ? {} : { metrics: metrics.registry }),
      });
      return await Promise.race([agent.run(scope.signal).then(() => 0), forced]);
    } finally {
      unsubscribe();
      scope.dispose();
      client.close();
      await metrics?.stop();
    }
  },
});

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

function integerFlag(flag: string, text: string, min: number, max: number): number {
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max} (got ${JSON.stringify(text)})`);
  return value;
}
