/**
 * Commands as one line of text (Slack's slash commands, the web playground); options follow the
 * prompt as flags: `/imagine a red star --seed 42 --aspect 3:2 --negative "blurry, dark"`.
 */
import type { BotCore } from './bot-core.ts';
import { givenOption, type ChatAttachment, type ChatRequest } from './chat-port.ts';

/** The words of a command's text; double-quoted parts stay one word. */
function splitWords(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

/** Leading words (the prompt) and `--flag value` pairs; a flag without a value maps to `''`. */
function parseFlags(text: string): { rest: string; flags: Map<string, string> } {
  const words = splitWords(text);
  const flags = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word.startsWith('--') && word.length > 2) {
      const next = words[i + 1];
      const value = next !== undefined && !next.startsWith('--') ? next : '';
      if (value !== '') i++;
      flags.set(word.slice(2).toLowerCase(), value);
    } else if (flags.size === 0) {
      rest.push(word);
    }
  }
  return { rest: rest.join(' '), flags };
}

/** A flag's value as a whole number; undefined when absent; NaN when not a number (the core refuses it with the rule). */
function intFlag(flags: Map<string, string>, name: string): number | undefined {
  const value = flags.get(name);
  return value === undefined ? undefined : /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
}

/** A flag's value as a number; undefined when absent. */
function numberFlag(flags: Map<string, string>, name: string): number | undefined {
  const value = flags.get(name);
  return value === undefined ? undefined : Number(value);
}

/** One command typed as text: the words after the command's name, and any files attached to it. */
export type TextCommand = (request: ChatRequest, text: string, attachments: readonly ChatAttachment[]) => Promise<void>;

/**
 * The commands a member types as one line (`/imagine a red star --seed 42`), by name, for the
 * platforms whose commands arrive as text (Slack's slash commands, the web playground).
 * `channelRef` turns a channel as the member wrote it (`<#C123|general>`) into its id.
 */
export function textCommands(core: BotCore, channelRef: (written: string | undefined) => string | undefined = (written) => written): Record<string, TextCommand> {
  return {
    '/imagine': (request, text) => {
      const { rest, flags } = parseFlags(text);
      return core.imagine(request, {
        prompt: rest,
        ...givenOption('negative', flags.get('negative')),
        ...givenOption('seed', intFlag(flags, 'seed')),
        ...givenOption('steps', intFlag(flags, 'steps')),
        ...givenOption('size', flags.get('size')),
        ...givenOption('aspect', flags.get('aspect')),
        ...givenOption('guidance', numberFlag(flags, 'guidance')),
        ...givenOption('count', intFlag(flags, 'count')),
      });
    },
    '/train': (request, text, photos) => {
      // `/train TOKEN CLASS`, or `--token TOKEN --class CLASS`.
      const { rest, flags } = parseFlags(text);
      const [token = '', classWord = ''] = splitWords(rest);
      return core.train(request, { photos, token: flags.get('token') ?? token, classWord: flags.get('class') ?? classWord });
    },
    '/subjects': (request) => core.subjects(request),
    '/model': (request) => core.model(request),
    '/status': (request) => core.status(request),
    '/cancel': (request, text) => core.cancel(request, text.trim() || undefined),
    '/help': (request) => core.help(request),
    '/agent': (request, text) => {
      const [sub, arg] = splitWords(text);
      if (sub === 'token') return core.agentToken(request, arg ?? '');
      if (sub === 'revoke') return core.agentRevoke(request, arg ?? '');
      return core.agentList(request);
    },
    '/settings': (request, text) => {
      const { flags } = parseFlags(text);
      return core.settings(request, {
        ...givenOption('allowChannel', channelRef(flags.get('allow-channel'))),
        ...givenOption('removeChannel', channelRef(flags.get('remove-channel'))),
        ...givenOption('block', flags.get('block')),
        ...givenOption('unblock', flags.get('unblock')),
        ...givenOption('maxJobs', intFlag(flags, 'max-jobs')),
      });
    },
  };
}
