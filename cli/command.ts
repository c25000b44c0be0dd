import type { Command } from 'commander';
import type { CliContext } from './context.ts';

/** What a command's `execute` receives. */
export interface CommandInput<Options> {
  /** Parsed options (camelCase keys), including the common `config` and `logLevel`. */
  options: Options;
  /** Positional arguments, in order. */
  args: string[];
  ctx: CliContext;
  /** Aborted when the command should stop early. */
  signal: AbortSignal;
}

/** Options every command takes. */
export interface CommonOptions {
  config?: string;
  logLevel?: string;
}

/**
 * One command of the `teambooth` CLI, in its own file: `define` declares its arguments and options
 * on the commander command, `execute` runs it and resolves with the exit status.
 */
export interface CliCommand<Options extends CommonOptions = CommonOptions> {
  /** Words that invoke it, e.g. `['agents', 'token', 'create']`. */
  path: readonly string[];
  summary: string;
  define(command: Command): void;
  execute(input: CommandInput<Options>): Promise<number>;
}

/** Erases a command's option type so commands can sit in one list. */
export function defineCommand<Options extends CommonOptions>(command: CliCommand<Options>): CliCommand {
  return command as unknown as CliCommand;
}
