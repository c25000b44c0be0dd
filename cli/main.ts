/**
 * Entry point of the `teambooth` command (loaded by bin/teambooth.js): wires the real process
 * (streams, environment, signals, child processes, the cluster code) into {@link runCli} and exits
 * with its status. The cluster code is imported only by the commands that need it.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { CliContext } from './context.ts';
import { runCli } from './run-cli.ts';

const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const context: CliContext = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  execPath: process.execPath,
  binPath: fileURLToPath(new URL('../bin/teambooth.js', import.meta.url)),
  randomBytes: (size) => randomBytes(size),
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, signal === undefined ? {} : { signal }),
  createClient: async (options) => {
    const { ClusterClient } = await import('../cluster/client/cluster-client.ts');
    return new ClusterClient(options);
  },
  startNode: async (config, logger) => {
    const { startNode } = await import('../cluster/server/start-node.ts');
    return startNode(config, logger);
  },
  onShutdownSignal: (handler) => {
    const listeners = SHUTDOWN_SIGNALS.map((signal) => {
      const listener = (): void => handler(signal);
      process.on(signal, listener);
      return [signal, listener] as const;
    });
    // A node started by `teambooth up` has an IPC channel; losing it means `up` is gone.
    const onDisconnect = (): void => handler('disconnect');
    if (process.connected) process.on('disconnect', onDisconnect);
    return () => {
      for (const [signal, listener] of listeners) process.off(signal, listener);
      process.off('disconnect', onDisconnect);
    };
  },
  spawn: (command, args, options) => spawn(command, args, options),
};

const status = await runCli(process.argv.slice(2), context);
// Exit explicitly (open handles of a closed client or node must not keep the process alive),
// after standard output has been flushed.
process.exitCode = status;
process.stdout.write('', () => process.exit(status));
