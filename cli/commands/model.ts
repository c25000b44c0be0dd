import { resolve } from 'node:path';
import { s3BlobStoreOptions } from '../../cluster/blob-store/blob-store-from-config.ts';
import { S3BlobStore } from '../../cluster/blob-store/s3-blob-store.ts';
import { exportVersionDirectory, exportVersionSafetensors, importBaseVersion, readVersion, type VersionList } from '../../cluster/models/model-versions.ts';
import type { MergeSettings, ModelVersion } from '../../cluster/state/types.ts';
import { SAFETENSORS_DTYPE_BYTES } from '../../gpu-agent/lora/safetensors-format.ts';
import type { CommandInput, CommonOptions } from '../command.ts';
import type { ClusterClientApi } from '../context.ts';
import { defineCommand } from '../command.ts';
import { commandLogger, loadCommandConfig, printJson, serverOverrides, withClient } from '../command-support.ts';
import { formatTable } from '../format-table.ts';
import { UsageError } from '../usage-error.ts';

interface ModelOptions extends CommonOptions {
  servers?: string;
  json?: boolean;
}

const SERVERS = ['--servers <list>', 'comma-separated host:port of the nodes'] as const;

/** Runs `use` with a cluster client (admin) and the object store the cluster's config names. */
async function withStore<T>(input: CommandInput<ModelOptions>, use: (deps: { api: ClusterClientApi; blobs: S3BlobStore; logger: ReturnType<typeof commandLogger> }) => Promise<T>): Promise<T> {
  const loaded = loadCommandConfig(input, serverOverrides(input.options.servers));
  const logger = commandLogger(input, loaded, 'client').child({ component: 'model' });
  const blobs = new S3BlobStore(s3BlobStoreOptions(loaded.config.s3, { logger }));
  try {
    return await withClient(input, loaded, { admin: true }, (api) => use({ api, blobs, logger }));
  } finally {
    blobs.close();
  }
}

function describeVersion(version: ModelVersion, current: string | null): string {
  return `${version.id}${version.id === current ? ' (current)' : ''}`;
}

/** `teambooth model import DIR`: the base model every fine-tune merges into. */
export const modelImportCommand = defineCommand<ModelOptions>({
  path: ['model', 'import'],
  summary: 'import a base model (diffusers ONNX directory) as version v1',
  define(command) {
    command.argument('<dir>', 'the model directory (text_encoder/, unet/, vae_decoder/, tokenizer/, ...)').option(...SERVERS).option('--json', 'print the version as JSON');
  },
  async execute(input) {
    const dir = resolve(input.ctx.cwd, input.args[0] ?? '');
    const version = await withStore(input, (deps) => importBaseVersion(dir, { ...deps, now: () => input.ctx.now(), signal: input.signal }));
    if (input.options.json === true) printJson(input, version);
    else input.ctx.stdout.write(`Imported ${dir} as ${version.id}; it is the current model. Fine-tunes from \`teambooth train\` merge into it.\n`);
    return 0;
  },
});

/** `teambooth model list`: every version, newest last. */
export const modelListCommand = defineCommand<ModelOptions>({
  path: ['model', 'list'],
  summary: 'list the versions of the shared model',
  define(command) {
    command.option(...SERVERS).option('--json', 'print {"versions": [...], "currentVersion"}');
  },
  async execute(input) {
    const loaded = loadCommandConfig(input, serverOverrides(input.options.servers));
    const listed = (await withClient(input, loaded, { admin: false }, (client) => client.query({ type: 'listModelVersions' }, { signal: input.signal }))) as VersionList;
    if (input.options.json === true) {
      printJson(input, listed);
      return 0;
    }
    if (listed.versions.length === 0) {
      input.ctx.stdout.write('No model version yet. Import the base model with: teambooth model import DIR\n');
      return 0;
    }
    const rows = listed.versions.map((v) => [describeVersion(v, listed.currentVersion), v.parent ?? '-', v.mergeMethod, v.subjects.length === 0 ? '-' : v.subjects.join(' '), v.mergeJobId ?? '-', new Date(v.createdAt).toISOString()]);
    input.ctx.stdout.write(formatTable(['VERSION', 'PARENT', 'METHOD', 'SUBJECTS', 'MERGE JOB', 'CREATED'], rows));
    return 0;
  },
});

/** `teambooth model show VERSION`: a version's record and what its manifest holds. */
export const modelShowCommand = defineCommand<ModelOptions>({
  path: ['model', 'show'],
  summary: 'show one model version: subjects, slots, tensors',
  define(command) {
    command.argument('<version>', 'a version id such as v3').option(...SERVERS).option('--json', 'print {"version", "manifest"}');
  },
  async execute(input) {
    const id = input.args[0] ?? '';
    const { record, manifest } = await withStore(input, (deps) => readVersion(id, { ...deps, signal: input.signal }));
    if (input.options.json === true) {
      printJson(input, { version: record, manifest });
      return 0;
    }
    const tensors = Object.values(manifest.tensors);
    const bytes = tensors.reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1) * SAFETENSORS_DTYPE_BYTES[t.dtype], 0);
    const slots = Object.entries(record.slots).map(([token, slot]) => `${token}:${slot}`).join(' ');
    input.ctx.stdout.write(
      `${record.id}: parent ${record.parent ?? '(none: imported base)'}, method ${record.mergeMethod}, created ${new Date(record.createdAt).toISOString()}\n` +
        `subjects: ${record.subjects.length === 0 ? '(none)' : record.subjects.join(', ')}\n` +
        (slots === '' ? '' : `orthogonal slots: ${slots}\n`) +
        (record.mergeJobId === null ? '' : `made by merge job ${record.mergeJobId}\n`) +
        `manifest: ${record.manifestKey} (${tensors.length} entries, ${(bytes / 2 ** 20).toFixed(1)} MiB)\n`,
    );
    return 0;
  },
});

/** `teambooth model rollback VERSION`: make an earlier version current again. */
export const modelRollbackCommand = defineCommand<ModelOptions>({
  path: ['model', 'rollback'],
  summary: 'make an earlier version the current model again',
  define(command) {
    command.argument('<version>', 'the version to make current').option(...SERVERS).option('--json', 'print the result as JSON');
  },
  async execute(input) {
    const versionId = input.args[0] ?? '';
    const loaded = loadCommandConfig(input, serverOverrides(input.options.servers));
    const result = (await withClient(input, loaded, { admin: true }, (client) => client.propose({ type: 'rollbackModel', versionId }, input.signal))) as { currentVersion: string; previousVersion: string | null };
    if (input.options.json === true) printJson(input, result);
    else input.ctx.stdout.write(`The current model is now ${result.currentVersion} (was ${result.previousVersion ?? 'none'}). New jobs use it; the next merge builds on it.\n`);
    return 0;
  },
});

interface ExportOptions extends ModelOptions {
  output: string;
}

/** `teambooth model export VERSION -o PATH`: one safetensors file, or an ONNX model directory. */
export const modelExportCommand = defineCommand<ExportOptions>({
  path: ['model', 'export'],
  summary: 'export a version as model.safetensors or as an ONNX model directory',
  define(command) {
    command
      .argument('<version>', 'a version id such as v3')
      .requiredOption('-o, --output <path>', 'a .safetensors file (the weights), or a new folder (a diffusers ONNX directory)')
      .option(...SERVERS);
  },
  async execute(input) {
    const id = input.args[0] ?? '';
    const target = resolve(input.ctx.cwd, input.options.output);
    const done = await withStore(input, async (deps) => {
      const { manifest } = await readVersion(id, { ...deps, signal: input.signal });
      const options = { blobs: deps.blobs, logger: deps.logger, signal: input.signal };
      if (target.endsWith('.safetensors')) return `${await exportVersionSafetensors(manifest, target, options)} tensors to ${target}`;
      return `the model directory ${await exportVersionDirectory(manifest, target, options)}`;
    });
    input.ctx.stdout.write(`Exported ${id}: ${done}\n`);
    return 0;
  },
});

interface SettingsOptions extends ModelOptions {
  method?: string;
  keepLast?: string;
  pause?: boolean;
  resume?: boolean;
}

/** `teambooth model settings`: how merges run (method, retention, pause); shows them without flags. */
export const modelSettingsCommand = defineCommand<SettingsOptions>({
  path: ['model', 'settings'],
  summary: 'show or change how fine-tunes are merged (method, retention, pause)',
  define(command) {
    command
      .option('--method <name>', 'sum (standard LoRAs, the default) or orthogonal (each subject trains against its own slot of a fixed basis)')
      .option('--keep-last <n>', 'keep only the N newest subjects in the model, rebuilding from the base ("all" keeps every subject)')
      .option('--pause', 'hold merges in the queue (e.g. while reviewing or rolling back)')
      .option('--resume', 'run held merges again')
      .option(...SERVERS)
      .option('--json', 'print the settings as JSON');
  },
  async execute(input) {
    const { options } = input;
    if (options.pause === true && options.resume === true) throw new UsageError('give --pause or --resume, not both');
    if (options.method !== undefined && options.method !== 'sum' && options.method !== 'orthogonal') throw new UsageError(`--method is orthogonal or sum (got ${JSON.stringify(options.method)})`);
    let keepLastSubjects: number | null | undefined;
    if (options.keepLast !== undefined) {
      if (options.keepLast === 'all') keepLastSubjects = null;
      else if (/^[1-9][0-9]{0,3}$/.test(options.keepLast)) keepLastSubjects = Number(options.keepLast);
      else throw new UsageError(`--keep-last is a number of subjects from 1 to 4096, or "all" (got ${JSON.stringify(options.keepLast)})`);
    }
    const change = {
      ...(options.method === undefined ? {} : { method: options.method }),
      ...(keepLastSubjects === undefined ? {} : { keepLastSubjects }),
      ...(options.pause === true ? { paused: true } : options.resume === true ? { paused: false } : {}),
    };
    const loaded = loadCommandConfig(input, serverOverrides(options.servers));
    const settings = (await withClient(input, loaded, { admin: Object.keys(change).length > 0 }, (client) =>
      Object.keys(change).length > 0 ? client.propose({ type: 'setMergeSettings', ...change }, input.signal) : client.query({ type: 'mergeSettings' }, { signal: input.signal }),
    )) as MergeSettings;
    if (options.json === true) printJson(input, settings);
    else
      input.ctx.stdout.write(
        `method: ${settings.method}\nkeep: ${settings.keepLastSubjects === null ? 'every subject' : `the ${settings.keepLastSubjects} newest subjects`}\nmerges: ${settings.paused ? 'paused' : 'running'}\n`,
      );
    return 0;
  },
});
