import { createHash } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { UsageError } from '../usage-error.ts';

/** A `--lora FILE[:SCALE]` flag, checked. */
export interface LoraFlag {
  path: string;
  scale: number;
}

/** The largest `--lora` scale accepted (the LoRA's weight change times this). */
const MAX_LORA_SCALE = 4;

/**
 * Parses `FILE[:SCALE]` (scale 1 when absent). A suffix that is not a number is part of the file
 * name, so paths with colons still work.
 */
export function parseLoraFlag(text: string, cwd: string): LoraFlag {
  const colon = text.lastIndexOf(':');
  const suffix = colon > 0 ? text.slice(colon + 1) : '';
  const numeric = suffix.trim() !== '' && Number.isFinite(Number(suffix));
  const file = numeric ? text.slice(0, colon) : text;
  const scale = numeric ? Number(suffix) : 1;
  if (file.trim() === '') throw new UsageError('--lora needs a file, e.g. --lora zxq-lora.safetensors or --lora zxq-lora.safetensors:0.8');
  if (scale < -MAX_LORA_SCALE || scale > MAX_LORA_SCALE) throw new UsageError(`--lora scale must be from -${MAX_LORA_SCALE} to ${MAX_LORA_SCALE} (got ${suffix})`);
  return { path: resolve(cwd, file), scale };
}

/**
 * The model directory with the LoRA merged into the UNet's weights, built once per (base model,
 * LoRA file, scale) under `cacheRoot` and reused afterwards.
 */
export async function modelWithLora(baseDirectory: string, flag: LoraFlag, cacheRoot: string, signal: AbortSignal): Promise<string> {
  const bytes = await readFile(flag.path, { signal }).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`--lora: cannot read ${flag.path} (${error.code ?? error.message})`);
  });
  const key = createHash('sha256').update(resolve(baseDirectory)).update('\0').update(bytes).update(`\0${flag.scale}`).digest('hex').slice(0, 16);
  const directory = join(cacheRoot, `${basename(baseDirectory)}+lora-${key}`);
  if (await access(directory).then(() => true, () => false)) return directory;
  const [{ parseLoraFile }, { writeLoraMergedModel }] = await Promise.all([
    import('../../gpu-agent/lora/lora-file.ts'),
    import('../../gpu-agent/lora/write-lora-merged-model.ts'),
  ]);
  let parsed: ReturnType<typeof parseLoraFile>;
  try {
    parsed = parseLoraFile(bytes);
  } catch (error) {
    throw new UsageError(`--lora: ${flag.path} is not a usable LoRA file: ${(error as Error).message}`);
  }
  await writeLoraMergedModel(baseDirectory, parsed.lora, directory, { multiplier: flag.scale, signal });
  return directory;
}
