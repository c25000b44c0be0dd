import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClipTokenizer } from './clip-tokenizer.ts';
import { buildTinyVocabulary } from './tiny-vocabulary.ts';
import { parseMergesText, serializeClipTokenizerFiles } from './tokenizer-files.ts';

describe('ClipTokenizer.load', () => {
  let dir: string;
  const { vocab, merges } = buildTinyVocabulary();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'teambooth-tokenizer-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writeFiles(files: Record<string, string>): Promise<void> {
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  }

  it('loads a diffusers tokenizer directory written by serializeClipTokenizerFiles', async () => {
    const files = serializeClipTokenizerFiles(vocab, merges);
    expect(files['merges.txt']!.startsWith('#version: 0.2\n')).toBe(true);
    await writeFiles(files);
    const loaded = await ClipTokenizer.load(dir);
    const direct = new ClipTokenizer(vocab, merges);
    expect(loaded.encode('a big zxq glyph on a cyan background')).toEqual(direct.encode('a big zxq glyph on a cyan background'));
    expect(loaded.maxLength).toBe(77);
  });

  it('loads vocab.json and merges.txt alone with SD 1.5 defaults', async () => {
    const files = serializeClipTokenizerFiles(vocab, merges);
    await writeFiles({ 'vocab.json': files['vocab.json']!, 'merges.txt': files['merges.txt']! });
    const loaded = await ClipTokenizer.load(dir);
    expect([loaded.maxLength, loaded.padId, loaded.bosId]).toEqual([77, vocab['<|endoftext|>'], vocab['<|startoftext|>']]);
  });

  it('honours the configured length and pad token; special_tokens_map.json wins', async () => {
    const files = serializeClipTokenizerFiles(vocab, merges);
    await writeFiles({
      'vocab.json': files['vocab.json']!,
      'merges.txt': files['merges.txt']!,
      'tokenizer_config.json': JSON.stringify({ model_max_length: 16, pad_token: '<|endoftext|>', bos_token: { __type: 'AddedToken', content: '<|startoftext|>' } }),
      'special_tokens_map.json': JSON.stringify({ pad_token: '!' }),
    });
    const loaded = await ClipTokenizer.load(dir);
    expect(loaded.maxLength).toBe(16);
    expect(loaded.padId).toBe(vocab['!']);
    expect(loaded.encode('red').ids).toHaveLength(16);
  });

  it("ignores transformers' 'no limit' model_max_length placeholder", async () => {
    const files = serializeClipTokenizerFiles(vocab, merges);
    await writeFiles({ ...files, 'tokenizer_config.json': JSON.stringify({ model_max_length: 1e30 }) });
    expect((await ClipTokenizer.load(dir)).maxLength).toBe(77);
  });

  it('names the missing or malformed file', async () => {
    const files = serializeClipTokenizerFiles(vocab, merges);
    await expect(ClipTokenizer.load(dir)).rejects.toThrow(/vocab\.json is missing/);
    await writeFiles({ 'vocab.json': files['vocab.json']! });
    await expect(ClipTokenizer.load(dir)).rejects.toThrow(/merges\.txt is missing/);
    await writeFiles({ 'merges.txt': '#version: 0.2\na b c\n' });
    await expect(ClipTokenizer.load(dir)).rejects.toThrow(/merges\.txt: rule 1 must be two symbols/);
    await writeFiles({ 'merges.txt': files['merges.txt']!, 'vocab.json': '{"a": 0,' });
    await expect(ClipTokenizer.load(dir)).rejects.toThrow(/vocab\.json is not valid JSON/);
    await writeFiles({ 'vocab.json': '{"a": "zero"}' });
    await expect(ClipTokenizer.load(dir)).rejects.toThrow(/vocab\.json: the id of "a" must be a non-negative integer/);
    await writeFiles({ 'vocab.json': files['vocab.json']!, 'tokenizer_config.json': '{"model_max_length": "77"}' });
    await expect(ClipTokenizer.load(dir)).rejects.toThrow(/tokenizer_config\.json: model_max_length/);
  });

  it('stops when aborted', async () => {
    await writeFiles(serializeClipTokenizerFiles(vocab, merges));
    await expect(ClipTokenizer.load(dir, { signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
  });
});

describe('parseMergesText', () => {
  it('skips the #version line and blank lines, keeps order', () => {
    expect(parseMergesText('#version: 0.2\r\nl o\n\nlo w</w>\n')).toEqual(['l o', 'lo w</w>']);
    expect(parseMergesText('l o\n')).toEqual(['l o']);
  });
});
