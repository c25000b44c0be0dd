/**
 * Slack slash commands carry one line of text; options follow the prompt as flags:
 * `/imagine a red star --seed 42 --aspect 3:2 --negative "blurry, dark"`.
 */

/** The words of a command's text; double-quoted parts stay one word. */
export function splitWords(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

/** Leading words (the prompt) and `--flag value` pairs; a flag without a value maps to `''`. */
export function parseFlags(text: string): { rest: string; flags: Map<string, string> } {
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
export function intFlag(flags: Map<string, string>, name: string): number | undefined {
  const value = flags.get(name);
  return value === undefined ? undefined : /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
}

/** A flag's value as a number; undefined when absent. */
export function numberFlag(flags: Map<string, string>, name: string): number | undefined {
  const value = flags.get(name);
  return value === undefined ? undefined : Number(value);
}
