import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { outputsOf } from '../../cluster/client/job-wording.ts';
import type { Job } from '../../cluster/state/types.ts';
import type { ClusterClientApi } from '../context.ts';

/**
 * Downloads the outputs of a succeeded job to files: `targets` maps an output name (as the job
 * names it, e.g. `image-0.png`) to the path to write. The presigned GET URLs come from
 * ResultUrls. Each download is checked against the size and SHA-256 the cluster recorded when it
 * validated the output, and written under a `.partial` name first, so an interrupted or damaged
 * download never leaves a file that looks finished.
 */
export async function downloadOutputs(client: ClusterClientApi, job: Job, targets: ReadonlyMap<string, string>, signal: AbortSignal): Promise<void> {
  const { urls } = await client.jobs('ResultUrls', { jobId: job.id }, { mode: 'any', auth: 'admin', signal });
  const recorded = new Map(outputsOf(job).map((output) => [output.name, output]));
  for (const [name, path] of targets) {
    const url = urls[name];
    if (url === undefined) throw new Error(`job ${job.id} has no output named ${name}; see \`teambooth jobs show ${job.id}\``);
    const bytes = await fetchBytes(url, `${name} of job ${job.id}`, signal);
    const expected = recorded.get(name);
    if (expected !== undefined && (bytes.byteLength !== expected.bytes || sha256(bytes) !== expected.sha256)) {
      throw new Error(
        `the download of ${name} of job ${job.id} is not the file the cluster checked (${bytes.byteLength} bytes, expected ${expected.bytes}); ` +
          'it was not written: run the command again',
      );
    }
    await mkdir(dirname(path), { recursive: true });
    const partial = `${path}.partial`;
    await writeFile(partial, bytes, { signal });
    await rename(partial, path);
  }
}

async function fetchBytes(url: string, what: string, signal: AbortSignal): Promise<Uint8Array> {
  const response = await fetch(url, { signal });
  if (!response.ok) throw new Error(`downloading ${what} failed: the object store answered HTTP ${response.status}; run the command again`);
  return new Uint8Array(await response.arrayBuffer());
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
