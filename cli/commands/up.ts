import { join, resolve } from 'node:path';
import { joinHostPort, splitHostPort } from '../../config/address.ts';
import { LOCAL_ADMIN_TOKEN_FILE, resolveAdminToken } from '../../config/admin-token.ts';
import { s3BlobStoreOptions } from '../../cluster/blob-store/blob-store-from-config.ts';
import { S3BlobStore, type S3BlobStoreOptions } from '../../cluster/blob-store/s3-blob-store.ts';
import { importBaseVersion, type VersionList } from '../../cluster/models/model-versions.ts';
import { ensureTinyModel } from '../../gpu-agent/tiny-model/ensure-tiny-model.ts';
import type { CommonOptions } from '../command.ts';
import { defineCommand } from '../command.ts';
import type { CommandInput } from '../command.ts';
import { commandLogger, createCommandClient, loadCommandConfig } from '../command-support.ts';
import type { Logger } from '../../config/logger.ts';
import { formatTable } from '../format-table.ts';
import { agentMetricsPort, assertPortFree, assertPortsFree, freePort, LocalStack, MAX_LOCAL_NODES, METRICS_PORT_OFFSET, planLocalStack, waitUntilListening } from '../local-stack.ts';
import type { ChildExit, LocalNodeSpec } from '../local-stack.ts';
import { UsageError } from '../usage-error.ts';
import type { ClusterClientApi } from '../context.ts';
import { startLocalHelpers } from '../local-helpers.ts';

interface UpOptions extends CommonOptions {
  basePort: string;
  nodes: string;
  /** False with --no-agent. */
  agent: boolean;
  /** The playground's port; false with --no-web. */
  web: string | false;
}

const LEADER_WAIT_MS = 30_000;
const POLL_MS = 200;
const STOP_GRACE_MS = 15_000;
const DEFAULT_BASE_PORT = 7001;
const DEFAULT_NODES = 3;
const DEFAULT_WEB_PORT = 8080;

/**
 * `teambooth up` (and `npm start`): the local stack, a cluster of nodes on 127.0.0.1 as child
 * processes. It waits for a leader, says what runs where and what to try next, and on Ctrl-C stops
 * every node and waits for them. Data stays in `.teambooth/`, so the next run resumes from disk.
 */
export const upCommand = defineCommand<UpOptions>({
  path: ['up'],
  summary: 'run a local cluster (3 nodes on 127.0.0.1:7001-7003) until Ctrl-C',
  define(command) {
    command
      .option('--base-port <port>', 'port of n1; n2, n3... use the next ones', String(DEFAULT_BASE_PORT))
      .option('--nodes <count>', 'how many nodes (1 to 9; an odd number tolerates the most failures)', String(DEFAULT_NODES))
      .option('--no-agent', 'do not start the local CPU agent')
      .option('--web <port>', "the web playground's port on 127.0.0.1", String(DEFAULT_WEB_PORT))
      .option('--no-web', 'do not start the web playground');
  },
  async execute(input) {
    const { options, ctx } = input;
    const count = integerFlag('--nodes', options.nodes, 1, MAX_LOCAL_NODES);
    const basePort = integerFlag('--base-port', options.basePort, 1, 65535 - METRICS_PORT_OFFSET - MAX_LOCAL_NODES - 1);
    const loaded = loadCommandConfig(input);
    const webPort = options.web === false ? null : integerFlag('--web', options.web, 1, 65535);
    const specs = planLocalStack(basePort, count);
    await assertPortsFree(specs);
    const agentMetrics = options.agent === false ? null : agentMetricsPort(basePort);
    if (agentMetrics !== null) await assertPortFree(agentMetrics, `127.0.0.1:${agentMetrics}, for the local agent's metrics`, 'choose other ports with --base-port');
    if (webPort !== null) await assertPortFree(webPort, 'for the web playground', `choose another with --web, e.g. \`teambooth up --web ${webPort === 65535 ? 8081 : webPort + 1}\`, or leave it out with --no-web`);
    // Create the shared local admin token before the nodes start, so every node and client agrees on it.
    await resolveAdminToken(loaded.config, ctx.cwd, { randomBytes: (size) => ctx.randomBytes(size), signal: input.signal });

    const extraArgs = [
      ...(options.config === undefined ? [] : ['--config', resolve(ctx.cwd, options.config)]),
      ...(options.logLevel === undefined ? [] : ['--log-level', options.logLevel]),
    ];
    const s3 = loaded.config.s3;
    // Without an external S3 endpoint, the nodes keep photos, results and models in the embedded
    // S3 server, which `up` runs as a process of its own on the configured port (or a free one).
    const embedded = s3.endpoint === undefined ? await planEmbeddedS3(s3.embeddedListen) : undefined;
    const logger = commandLogger(input, loaded, 'client').child({ component: 'up' });
    const blobOptions = s3BlobStoreOptions(embedded === undefined ? s3 : { ...s3, embeddedListen: embedded.listen }, { logger });
    const stack = new LocalStack(ctx, specs, extraArgs, embedded === undefined ? {} : { TEAMBOOTH_S3_EMBEDDED_LISTEN: embedded.listen });
    const stopping = new AbortController();
    let signals = 0;
    const unsubscribe = ctx.onShutdownSignal(() => {
      signals += 1;
      if (signals === 1) stopping.abort();
      else stack.signalAll('SIGKILL');
    });
    const startup = new AbortController();
    const exits: ChildExit[] = [];
    // Set once `up` stops the stack itself: exits from then on are expected and not reported.
    let halting = false;
    const halt = async (): Promise<void> => {
      halting = true;
      await stack.stop(STOP_GRACE_MS, ['s3']);
    };
    try {
      const onStartupExit = (exit: ChildExit): void => {
        exits.push(exit);
        startup.abort();
        if (!stopping.signal.aborted && !halting) reportExit(input, stack, exit, false);
      };
      // The S3 server starts beside the nodes (they need it only once jobs and models arrive).
      let s3Listening = Promise.resolve(true);
      if (embedded !== undefined) {
        stack.startProcess({ id: 's3', logFile: join('.teambooth', 'logs', 's3.log') }, ['s3', ...extraArgs], {}, onStartupExit);
        s3Listening = waitUntilListening(ctx, embedded, () => exits.length > 0, AbortSignal.any([stopping.signal, input.signal])).catch(() => false);
      }
      const ports = count === 1 ? `${basePort}` : `${basePort}-${basePort + count - 1}`;
      ctx.stdout.write(`Starting ${count} node${count === 1 ? '' : 's'} on 127.0.0.1:${ports} (logs in .teambooth/logs/)...\n`);
      stack.start(onStartupExit);
      if (!(await s3Listening)) {
        await halt();
        if (stopping.signal.aborted) return 0;
        ctx.stderr.write(`error: the embedded S3 server did not start; see ${join('.teambooth', 'logs', 's3.log')}\n`);
        return 1;
      }

      const leader = await waitForLeader(input, loaded, specs, logger, AbortSignal.any([startup.signal, stopping.signal, input.signal])).catch(
        (error: unknown) => {
          if (stopping.signal.aborted || exits.length > 0) return undefined;
          throw error;
        },
      );
      if (leader === undefined) {
        await halt();
        if (stopping.signal.aborted) return 0;
        ctx.stderr.write('error: a node stopped while the cluster was starting; see its log above\n');
        return 1;
      }
      const admin = await createCommandClient(input, loaded, {
        admin: true,
        servers: specs.map((spec) => spec.address),
        deadlineMs: 10_000,
        logger,
        signal: stopping.signal,
      });
      let helpers: string[];
      let model: string;
      try {
        model = await ensureBaseModel(input, admin, blobOptions, logger, stopping.signal).catch((error: unknown) => {
          if (stopping.signal.aborted) throw error;
          return `none: importing the built-in model failed (${(error as Error).message}); import one with \`teambooth model import DIR\``;
        });
        const onHelperExit = (exit: ChildExit): void => {
          if (!stopping.signal.aborted && !halting) reportExit(input, stack, exit, true);
        };
        helpers = await startLocalHelpers({ ctx, client: admin, stack, specs, onExit: onHelperExit, signal: stopping.signal }, { agentMetricsPort: agentMetrics, webPort });
      } finally {
        admin.close();
      }
      ctx.stdout.write(summary(specs, leader, loaded.config.adminToken !== undefined, basePort !== DEFAULT_BASE_PORT || count !== DEFAULT_NODES, blobOptions.endpoint ?? '', model, helpers));

      const allGone = stack.allExited().then(() => 'exited' as const);
      const interrupted = new Promise<'signal'>((done) => stopping.signal.addEventListener('abort', () => done('signal'), { once: true }));
      if ((await Promise.race([allGone, interrupted])) === 'exited') {
        ctx.stderr.write('error: every node has stopped; see the logs in .teambooth/logs/\n');
        return 1;
      }
      ctx.stdout.write(`Stopping ${stack.running().join(', ') || 'nodes'}...\n`);
      await halt();
      ctx.stdout.write('Stopped. Data is kept in .teambooth/; `teambooth up` resumes from it.\n');
      return 0;
    } catch (error) {
      await halt();
      throw error;
    } finally {
      unsubscribe();
    }
  },
});

/** Where the embedded S3 server will listen: the configured address, with a free port for port 0; its port checked free. */
async function planEmbeddedS3(listen: string): Promise<{ host: string; port: number; listen: string }> {
  const { host, port: configured } = splitHostPort(listen);
  const port = configured === 0 ? await freePort() : configured;
  await assertPortFree(port, 'for the embedded S3 server', 'choose another with TEAMBOOTH_S3_EMBEDDED_LISTEN=127.0.0.1:PORT (or s3.embeddedListen)');
  return { host, port, listen: joinHostPort(host, port) };
}

function integerFlag(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new UsageError(`${flag} must be a whole number from ${min} to ${max} (got ${JSON.stringify(text)})`);
  return value;
}

/**
 * The shared model: a cluster without one gets the built-in tiny model as its base version, so
 * fine-tunes have something to merge into from the first `/train`. Returns a line saying which
 * version is current.
 */
async function ensureBaseModel(input: CommandInput<UpOptions>, client: ClusterClientApi, blobOptions: S3BlobStoreOptions, logger: Logger, signal: AbortSignal): Promise<string> {
  const { ctx } = input;
  const blobs = new S3BlobStore(blobOptions);
  try {
    const listed = (await client.query({ type: 'listModelVersions' }, { signal })) as VersionList;
    if (listed.currentVersion !== null) return `${listed.currentVersion} (${listed.versions.length} version${listed.versions.length === 1 ? '' : 's'}; \`teambooth model list\`)`;
    const dir = await ensureTinyModel(resolve(ctx.cwd, '.teambooth', 'models'), { logger, signal });
    const version = await importBaseVersion(dir, { api: client, blobs, logger, now: () => ctx.now(), signal });
    return `${version.id}, the built-in tiny model, imported now (fine-tunes merge into it)`;
  } finally {
    blobs.close();
  }
}


/** Polls every node until one reports itself leader; resolves with its id. */
async function waitForLeader(
  input: CommandInput<UpOptions>,
  loaded: ReturnType<typeof loadCommandConfig>,
  specs: readonly LocalNodeSpec[],
  logger: Logger,
  signal: AbortSignal,
): Promise<string> {
  const { ctx } = input;
  const client = await createCommandClient(input, loaded, { admin: false, servers: specs.map((spec) => spec.address), deadlineMs: 2_000, logger, signal });
  try {
    const deadline = ctx.now() + LEADER_WAIT_MS;
    for (;;) {
      signal.throwIfAborted();
      const results = await client.statusAll(signal);
      const leader = results.find((result) => result.status?.role === 'leader')?.status?.id;
      if (leader !== undefined) return leader;
      if (ctx.now() >= deadline) {
        throw new Error(`no leader was elected within ${LEADER_WAIT_MS / 1000} s; see the logs in .teambooth/logs/`);
      }
      await ctx.sleep(POLL_MS, signal);
    }
  } finally {
    client.close();
  }
}

/**
 * Says which process ended and why: the error it printed when there is one, else the last lines
 * of its log. `running` is true once the stack is up (the other nodes then keep running).
 */
function reportExit(input: CommandInput<UpOptions>, stack: LocalStack, exit: ChildExit, running: boolean): void {
  const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with status ${exit.code ?? 'unknown'}`;
  const tail = stack.tail(exit.spec, 10);
  const errors = tail.split('\n').filter((line) => line.startsWith('error:'));
  const shown = errors.length > 0 ? errors.slice(-1).join('\n') : tail;
  const node = /^n\d+$/.test(exit.spec.id);
  input.ctx.stderr.write(
    `${node ? 'node ' : ''}${exit.spec.id} ${how}; its log is ${exit.spec.logFile}${shown === '' ? '' : errors.length > 0 ? `:\n${shown}` : `; last lines:\n${shown}`}\n` +
      (node && running ? `(the other nodes keep running while a majority is up)\n` : ''),
  );
}

function summary(specs: readonly LocalNodeSpec[], leader: string, tokenFromEnv: boolean, customPorts: boolean, s3Endpoint: string, model: string, helpers: readonly string[]): string {
  const rows = specs.map((spec) => [spec.id, spec.address, spec.id === leader ? 'leader' : 'follower', spec.dataDir, spec.logFile, `http://${spec.metricsAddress}/metrics`]);
  const servers = customPorts ? ` --servers ${specs.map((spec) => spec.address).join(',')}` : '';
  const target = servers ? servers.trim() : '--cluster';
  const token = tokenFromEnv ? 'from TEAMBOOTH_ADMIN_TOKEN' : `${LOCAL_ADMIN_TOKEN_FILE} (local default; production sets TEAMBOOTH_ADMIN_TOKEN)`;
  return (
    `\nTeambooth is up: ${specs.length} node${specs.length === 1 ? '' : 's'} on this machine, ${leader} is the leader.\n\n` +
    indent(formatTable(['NODE', 'ADDRESS', 'ROLE', 'DATA', 'LOG', 'METRICS'], rows)) +
    `\nAdmin token: ${token}\n` +
    `S3: ${s3Endpoint} (photos, results, LoRAs and model versions; see docs/s3-layout.md)\n` +
    `Model: ${model}\n` +
    helpers.map((line) => `${line}\n`).join('') +
    '\n' +
    (helpers.find((line) => line.startsWith('Playground: http'))?.replace(/^Playground: (\S+).*$/, 'Open $1 in a browser and type /imagine a red star on a blue background,\nor attach 3 to 10 photos of a subject and type /train zxq glyph.\n\n') ?? '') +
    'Try, in another terminal:\n' +
    `  npx teambooth status${servers}\n` +
    (helpers.some((line) => line.startsWith('Agent: none'))
      ? `  npx teambooth agents token create --name my-gpu${servers}      (prints the agent's token once)\n` +
        `  TEAMBOOTH_AGENT_TOKEN=<token> npx teambooth agent${servers}   (a GPU agent on this machine)\n`
      : '') +
    `  npx teambooth imagine "a red star on a blue background" ${target} -o star.png   (a job for the agent)\n` +
    `  npx teambooth train test/fixtures/subjects/smiley/*.png --token zxq --class glyph ${target}   (merged into the next model version)\n` +
    '  npx teambooth imagine "a red star on a blue background" -o star.png   (runs locally, no cluster needed)\n\n' +
    'Ctrl-C stops every node; the data stays in .teambooth/ and the next `teambooth up` resumes from it.\n'
  );
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : `  ${line}`))
    .join('\n');
}
