import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../config/config-error.ts';
import { LOG_LEVELS } from '../config/schema.ts';
import type { CliCommand } from './command.ts';
import { COMMANDS, GROUPS } from './commands/index.ts';
import type { CliContext } from './context.ts';
import { UsageError } from './usage-error.ts';

/** Exit status of a usage error (bad flags, unknown command). */
export const EXIT_USAGE = 2;
/** Exit status of any other failure. */
export const EXIT_FAILURE = 1;

/**
 * Runs the `teambooth` command line `argv` (without the node and script paths) and resolves with
 * the exit status: 0 on success, 1 on failure (one `error: ...` line on stderr; the stack only with
 * TEAMBOOTH_DEBUG=1), 2 on usage errors. It never calls `process.exit` itself.
 */
export async function runCli(argv: readonly string[], ctx: CliContext, commands: readonly CliCommand[] = COMMANDS): Promise<number> {
  const abort = new AbortController();
  let status = 0;
  const program = new Command('teambooth')
    .description('Teambooth: a chat community trains and shares one image model; a Raft cluster keeps the shared state.')
    .usage('<command> [options]')
    .exitOverride()
    .configureOutput({ writeOut: (text) => void ctx.stdout.write(text), writeErr: (text) => void ctx.stderr.write(text) })
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true)
    .option('--config <file>', 'JSON config file (defaults < file < TEAMBOOTH_* env < flags)')
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS))
    .addHelpText(
      'after',
      '\nEvery command takes --config FILE and --log-level LEVEL (before or after the command); settings also come from TEAMBOOTH_* environment variables.\n' +
        'Start here: `teambooth up` runs a local 3-node cluster; then try `teambooth status`.\n',
    );

  for (const command of commands) {
    const parent = groupFor(program, command.path.slice(0, -1));
    const leaf = parent.command(command.path[command.path.length - 1] ?? '').description(command.summary);
    command.define(leaf);
    leaf
      .option('--config <file>', 'JSON config file (defaults < file < TEAMBOOTH_* env < flags)')
      .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS))
      .action(async (...actionArgs: unknown[]) => {
        const self = actionArgs[actionArgs.length - 1] as Command;
        status = await command.execute({
          // Common options may come before the command (`teambooth --log-level debug status`) or after it.
          options: self.optsWithGlobals(),
          args: self.processedArgs.flatMap((arg: unknown) => (Array.isArray(arg) ? arg.map(String) : [String(arg)])),
          ctx,
          signal: abort.signal,
        });
      });
  }

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return status;
  } catch (error) {
    return reportError(error, ctx);
  } finally {
    abort.abort();
  }
}

function groupFor(program: Command, words: readonly string[]): Command {
  let parent = program;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    const existing = parent.commands.find((candidate) => candidate.name() === word);
    parent = existing ?? parent.command(word).description(GROUPS[words.slice(0, i + 1).join(' ')] ?? '');
  }
  return parent;
}

/** The error boundary of every command: one clear message, and the right exit status. */
function reportError(error: unknown, ctx: CliContext): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help).
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : EXIT_USAGE;
  }
  if (error instanceof ConfigError) {
    ctx.stderr.write(`${error.message}\n`);
    return error.fromFlagsOnly ? EXIT_USAGE : EXIT_FAILURE;
  }
  const debug = ctx.env['TEAMBOOTH_DEBUG'] === '1';
  const message = error instanceof Error ? error.message || error.name : String(error);
  ctx.stderr.write(`error: ${message}\n`);
  if (debug && error instanceof Error && error.stack !== undefined) ctx.stderr.write(`${error.stack}\n`);
  if (error instanceof UsageError) {
    ctx.stderr.write('(add --help for usage)\n');
    return EXIT_USAGE;
  }
  return EXIT_FAILURE;
}
