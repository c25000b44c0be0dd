import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/**
 * sha256 (hex) of a model directory's `unet/` folder, the part a LoRA is tied to: every file's
 * relative path, size and bytes, in sorted order, streamed (a Stable Diffusion UNet is gigabytes).
 * Recorded in a LoRA's metadata as the base model it was trained on.
 */
export async function hashUnetFiles(modelDirectory: string, options: { signal?: AbortSignal } = {}): Promise<string> {
  const folder = join(modelDirectory, 'unet');
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = createHash('sha256');
  for (const file of files) {
    options.signal?.throwIfAborted();
    hash.update(`${relative(folder, file).split(sep).join('/')}\0`);
    let size = 0;
    for await (const chunk of createReadStream(file, options.signal === undefined ? {} : { signal: options.signal })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).byteLength;
    }
    hash.update(`\0${size}\0`);
  }
  return hash.digest('hex');
}
