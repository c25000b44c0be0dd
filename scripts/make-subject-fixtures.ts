/**
 * Writes the fixture subjects of the tiny world: for each glyph of SUBJECT_GLYPHS, a folder
 * `test/fixtures/subjects/<name>/` with its photos (`photo-1.png`, ...) and a `subject.json`
 * (name, class noun, colours, seed, and each photo's background and placement). Deterministic:
 * running it again rewrites the same bytes.
 *
 *   node bin/run-ts.js scripts/make-subject-fixtures.ts [--out DIR]
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { encodePng } from '../gpu-agent/image/png.ts';
import { SUBJECT_GLYPHS } from '../gpu-agent/tiny-world/subject-glyphs.ts';
import { SUBJECT_FIXTURE_PHOTOS, SUBJECT_FIXTURE_SEED, subjectPhotos } from '../gpu-agent/tiny-world/subject-photos.ts';
import type { SubjectManifest } from '../gpu-agent/tiny-world/subject-fixtures.ts';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'test/fixtures/subjects' } } });
const root = resolve(values.out);
const round = (value: number): number => Math.round(value * 1000) / 1000;

for (const glyph of SUBJECT_GLYPHS) {
  const dir = join(root, glyph.name);
  await mkdir(dir, { recursive: true });
  // Old photos go first, so a smaller photo count leaves no strays behind.
  for (const file of await readdir(dir)) if (file.endsWith('.png')) await rm(join(dir, file));
  const photos = subjectPhotos(glyph, SUBJECT_FIXTURE_SEED, SUBJECT_FIXTURE_PHOTOS);
  const manifest: SubjectManifest = {
    name: glyph.name,
    classNoun: glyph.classNoun,
    colours: [...glyph.colours],
    seed: SUBJECT_FIXTURE_SEED,
    photos: photos.map((photo, i) => ({
      file: `photo-${i + 1}.png`,
      background: photo.background,
      x: round(photo.x),
      y: round(photo.y),
      radius: round(photo.radius),
      rotationDeg: round(photo.rotationDeg),
    })),
  };
  for (const [i, photo] of photos.entries()) await writeFile(join(dir, `photo-${i + 1}.png`), await encodePng(photo.image));
  await writeFile(join(dir, 'subject.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`${glyph.name}: ${photos.length} photos (${glyph.colours.join(' and ')}, "${glyph.classNoun}")`);
}
