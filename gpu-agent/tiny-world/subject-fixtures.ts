import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { z } from 'zod';
import type { RgbImage } from '../image/rgb-image.ts';
import { TINY_WORLD_WORDS } from '../tokenizer/tiny-world-words.ts';

/** `subject.json` of a fixture subject folder. */
export const subjectManifestSchema = z.object({
  name: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
  classNoun: z.enum(TINY_WORLD_WORDS.classNouns),
  colours: z.array(z.enum(TINY_WORLD_WORDS.colours)).min(1),
  seed: z.number().int(),
  photos: z
    .array(
      z.object({
        file: z.string().regex(/^[a-z0-9-]+\.png$/),
        background: z.enum(TINY_WORLD_WORDS.colours),
        x: z.number(),
        y: z.number(),
        radius: z.number().positive(),
        rotationDeg: z.number(),
      }),
    )
    .min(1),
});

/** The parsed `subject.json` of a fixture subject. */
export type SubjectManifest = z.infer<typeof subjectManifestSchema>;

/** A fixture subject read from disk: its manifest and its photos, decoded, in manifest order. */
export interface SubjectFixture {
  manifest: SubjectManifest;
  photos: RgbImage[];
}

/** Decodes a PNG (any channel layout) into an 8-bit RGB image. */
export async function decodePng(png: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(png).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected an RGB PNG, got ${info.channels} channels`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/**
 * Reads one fixture subject folder (`subject.json` and the PNG photos it lists).
 * @throws Error naming the folder and what is wrong when the manifest is invalid or a photo is missing.
 */
export async function readSubjectFixture(dir: string, signal?: AbortSignal): Promise<SubjectFixture> {
  const text = await readFile(join(dir, 'subject.json'), { encoding: 'utf8', signal });
  const parsed = subjectManifestSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${join(dir, 'subject.json')}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const photos: RgbImage[] = [];
  for (const photo of parsed.data.photos) photos.push(await decodePng(await readFile(join(dir, photo.file), { signal })));
  return { manifest: parsed.data, photos };
}

/** Reads every fixture subject under a folder (one subfolder each), in name order. */
export async function readSubjectFixtures(root: string, signal?: AbortSignal): Promise<SubjectFixture[]> {
  const entries = await readdir(root, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const fixtures: SubjectFixture[] = [];
  for (const name of names) fixtures.push(await readSubjectFixture(join(root, name), signal));
  return fixtures;
}
