import type { Command } from 'commander';
import { UsageError } from '../usage-error.ts';

/** The flags that send `imagine` or `train` to the cluster instead of running on this machine. */
export interface ClusterJobFlags {
  servers?: string;
  cluster?: boolean;
  requester?: string;
}

/** Adds the cluster-mode flags, and help that says which flags apply where. */
export function defineClusterJobFlags(command: Command, localOnly: readonly string[]): void {
  command
    .option('--servers <list>', 'run on the cluster at these nodes (comma-separated host:port) instead of on this machine')
    .option('--cluster', 'run on the cluster at the configured servers (client.servers, TEAMBOOTH_CLIENT_SERVERS; default: the local `teambooth up` cluster)')
    .option('--requester <name>', 'cluster mode: the member the job is for (default: $USER)')
    .addHelpText(
      'after',
      `\nWhere it runs: on this machine, unless --servers or --cluster is given; then it runs as a job on\n` +
        `the cluster's GPU agents, and the command waits for it (Ctrl-C cancels the job) and writes the\n` +
        `same files. Only on this machine: ${localOnly.join(', ')}.\n`,
    );
}

/** Whether the command runs as a cluster job: `--servers` or `--cluster` was given. */
export function isClusterMode(flags: ClusterJobFlags): boolean {
  return flags.servers !== undefined || flags.cluster === true;
}

/** The member a job is for: `--requester`, else the OS user, else `cli`. */
export function requesterOf(flags: ClusterJobFlags, env: NodeJS.ProcessEnv): string {
  const requester = (flags.requester ?? env['USER'] ?? env['USERNAME'] ?? 'cli').trim();
  if (requester === '') throw new UsageError('--requester must not be empty: name the member the job is for, e.g. --requester alice');
  return requester;
}

/** Refuses flags that only mean something on this machine, rather than ignoring them on the cluster. */
export function refuseLocalOnly(given: ReadonlyArray<readonly [flag: string, isGiven: boolean]>): void {
  const flags = given.filter(([, isGiven]) => isGiven).map(([flag]) => flag);
  if (flags.length === 0) return;
  const one = flags.length === 1;
  const them = one ? 'it' : 'them';
  throw new UsageError(`${flags.join(', ')} ${one ? 'works' : 'work'} only on this machine: leave ${them} out, or run here without --servers and --cluster`);
}
