/**
 * Regenerates the typed TypeScript of the gRPC contracts under proto/generated/.
 *
 * Runs proto-loader-gen-types with the same options as {@link loadProtos} (camelCase fields,
 * 64-bit integers as numbers, enums as strings, defaults and oneofs), then adds the `.ts`
 * extension to the relative imports it writes, which NodeNext module resolution requires.
 *
 * Usage: `node bin/run-ts.js proto/generate.ts`
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const protoDir = dirname(fileURLToPath(import.meta.url));
const outDir = join(protoDir, 'generated');
const protoFiles = readdirSync(protoDir)
  .filter((name) => name.endsWith('.proto'))
  .sort();

rmSync(outDir, { recursive: true, force: true });
execFileSync(
  resolve(protoDir, '..', 'node_modules', '.bin', 'proto-loader-gen-types'),
  [
    '--longs=Number',
    '--enums=String',
    '--defaults',
    '--oneofs',
    '--includeComments',
    '--grpcLib=@grpc/grpc-js',
    '--includeDirs=proto',
    '--outDir=proto/generated',
    ...protoFiles,
  ],
  // Relative paths keep the machine's directory out of the generated comments.
  { stdio: 'inherit', cwd: resolve(protoDir, '..') },
);

/** Adds `.ts` to every relative module specifier in one generated file. */
function addExtensions(file: string): void {
  const text = readFileSync(file, 'utf8');
  const fixed = text.replace(/(from\s+')(\.{1,2}\/[^']+?)(?<!\.ts)(')/g, '$1$2.ts$3');
  if (fixed !== text) writeFileSync(file, fixed);
}

for (const entry of readdirSync(outDir, { recursive: true, withFileTypes: true })) {
  if (entry.isFile() && entry.name.endsWith('.ts')) addExtensions(join(entry.parentPath, entry.name));
}
console.log(`wrote ${outDir}`);
