import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { ClipTokenizerOptions } from './clip-tokenizer.ts';

/** The contents of a diffusers `tokenizer/` directory, parsed. */
export interface ClipTokenizerFiles {
  vocab: Record<string, number>;
  /** Merge rules in rank order, `"left right"`, without the `#version` line. */
  merges: string[];
  /** What `tokenizer_config.json` and `special_tokens_map.json` say (the latter wins). */
  options: ClipTokenizerOptions;
}

/** A special token is written either as a string or as an AddedToken object with `content`. */
const specialToken = z.union([z.string(), z.looseObject({ content: z.string() })]).nullish();

const tokenizerSettings = z.looseObject({
  model_max_length: z.number().optional(),
  bos_token: specialToken,
  eos_token: specialToken,
  pad_token: specialToken,
  unk_token: specialToken,
});

/** Above this, `model_max_length` is transformers' "no limit" placeholder, not a real length. */
const UNSET_MAX_LENGTH = 1_000_000;

/**
 * Reads `vocab.json`, `merges.txt` and the optional `tokenizer_config.json` /
 * `special_tokens_map.json` of a tokenizer directory.
 * @throws Error naming the file that is missing or malformed.
 */
export async function readClipTokenizerFiles(dir: string, signal?: AbortSignal): Promise<ClipTokenizerFiles> {
  const vocabText = await readText(dir, 'vocab.json', true, signal);
  const mergesText = await readText(dir, 'merges.txt', true, signal);
  const configText = await readText(dir, 'tokenizer_config.json', false, signal);
  const mapText = await readText(dir, 'special_tokens_map.json', false, signal);

  const vocab = parseVocab(parseJson(dir, 'vocab.json', vocabText!), dir);
  const merges = parseMergesText(mergesText!);
  const options: ClipTokenizerOptions = {};
  for (const [file, text] of [['tokenizer_config.json', configText], ['special_tokens_map.json', mapText]] as const) {
    if (text === undefined) continue;
    const parsed = tokenizerSettings.safeParse(parseJson(dir, file, text));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`${join(dir, file)}: ${issue.path.join('.') || 'the file'} ${issue.message}`);
    }
    applySettings(options, parsed.data, join(dir, file));
  }
  return { vocab, merges, options };
}

/**
 * The files of a diffusers `tokenizer/` directory for a vocabulary and merges (the inverse of
 * {@link readClipTokenizerFiles}): file name -> contents.
 */
export function serializeClipTokenizerFiles(vocab: Readonly<Record<string, number>>, merges: readonly string[], maxLength = 77): Record<string, string> {
  const special = { bos_token: '<|startoftext|>', eos_token: '<|endoftext|>', pad_token: '<|endoftext|>', unk_token: '<|endoftext|>' };
  return {
    'vocab.json': `${JSON.stringify(vocab)}\n`,
    'merges.txt': `#version: 0.2\n${merges.map((merge) => `${merge}\n`).join('')}`,
    'tokenizer_config.json': `${JSON.stringify({ tokenizer_class: 'CLIPTokenizer', model_max_length: maxLength, do_lower_case: true, ...special }, null, 2)}\n`,
    'special_tokens_map.json': `${JSON.stringify(special, null, 2)}\n`,
  };
}

/** Merge rules of a `merges.txt`: the optional `#version` first line and blank lines skipped. */
export function parseMergesText(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines[0]?.startsWith('#version')) lines.shift();
  return lines.filter((line) => line !== '');
}

async function readText(dir: string, file: string, required: boolean, signal: AbortSignal | undefined): Promise<string | undefined> {
  const path = join(dir, file);
  try {
    return await readFile(path, { encoding: 'utf8', ...(signal === undefined ? {} : { signal }) });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return undefined;
    if (code === 'ENOENT') throw new Error(`${path} is missing: a CLIP tokenizer directory needs vocab.json and merges.txt`);
    throw error;
  }
}

function parseJson(dir: string, file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${join(dir, file)} is not valid JSON: ${(error as Error).message}`);
  }
}

function parseVocab(value: unknown, dir: string): Record<string, number> {
  const path = join(dir, 'vocab.json');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${path} must be a JSON object mapping tokens to ids`);
  for (const [token, id] of Object.entries(value)) {
    if (!Number.isSafeInteger(id) || (id as number) < 0) throw new Error(`${path}: the id of ${JSON.stringify(token)} must be a non-negative integer (got ${JSON.stringify(id)})`);
  }
  return value as Record<string, number>;
}

function applySettings(options: ClipTokenizerOptions, settings: z.infer<typeof tokenizerSettings>, path: string): void {
  const maxLength = settings.model_max_length;
  if (maxLength !== undefined && maxLength <= UNSET_MAX_LENGTH) {
    if (!Number.isInteger(maxLength) || maxLength < 3) throw new Error(`${path}: model_max_length must be an integer of at least 3 (got ${maxLength})`);
    options.maxLength = maxLength;
  }
  const content = (token: z.infer<typeof specialToken>): string | undefined => (token === null || token === undefined ? undefined : typeof token === 'string' ? token : token.content);
  const bos = content(settings.bos_token);
  const eos = content(settings.eos_token);
  const pad = content(settings.pad_token);
  const unk = content(settings.unk_token);
  if (bos !== undefined) options.bosToken = bos;
  if (eos !== undefined) options.eosToken = eos;
  if (pad !== undefined) options.padToken = pad;
  if (unk !== undefined) options.unkToken = unk;
}
