import type { LinearLayer } from '../../gpu-agent/lora/find-linear-layers.ts';
import { findLinearLayers } from '../../gpu-agent/lora/find-linear-layers.ts';
import { defaultTinyModelConfig } from '../../gpu-agent/tiny-model/tiny-model-config.ts';
import { buildUnetGraph } from '../../gpu-agent/tiny-model/unet-graph.ts';
import { TINY_TRAIN_DEFAULTS } from '../../gpu-agent/tiny-model/write-tiny-model.ts';
import { MODEL_SETTINGS_FILE, parseTrainDefaults } from '../../gpu-agent/training/train-defaults.ts';
import { TRAIN_DEFAULTS } from '../../gpu-agent/training/dreambooth-request.ts';
import type { ContentStore } from '../blob-store/content-store.ts';
import type { ModelManifest } from '../blob-store/model-manifest.ts';
import { boundedMemo } from '../models/bounded-memo.ts';
import { parseLinearLayerIndex } from '../models/linear-layer-index.ts';
import { ENTRY_PREFIX, linearIndexEntryOf } from '../models/model-entry-names.ts';
import type { ModelVersion } from '../state/types.ts';
import { specOf, type OutputCheck } from './job-objects.ts';
import { expectedLoraLayout, validateImageResult, validateLoraResult, type ExpectedLoraLayout } from './result-validation/index.ts';
import type { StateAccess } from './state-access.ts';

/** What checking a LoRA needs of the model a train job ran on: its UNet's linear layers and the rank its fine-tunes default to. */
export interface TrainedModelShape {
  linear: readonly LinearLayer[];
  defaultRank: number;
}

/** The shape of a model version by id; null is the agents' built-in tiny model (jobs from before the cluster had a version). */
export type ModelShapes = (version: string | null, signal: AbortSignal) => Promise<TrainedModelShape>;

/** The built-in tiny model's shape, built once. */
let tinyShape: TrainedModelShape | undefined;
function builtInShape(): TrainedModelShape {
  tinyShape ??= { linear: findLinearLayers(buildUnetGraph(defaultTinyModelConfig()).model.graph), defaultRank: TINY_TRAIN_DEFAULTS.rank };
  return tinyShape;
}

/**
 * The checks a node runs on agents' uploads: an imagine job's PNGs must decode to the requested
 * size; a train job's LoRA must match the layout training produces for the UNet of the job's
 * model version at the job's rank (keys, shapes, dtypes, finite values, bounded norms). When the
 * job leaves the rank out, the agent used the model's own default (its `teambooth.json`), so the
 * check does too.
 */
export function createOutputCheck(shapes: ModelShapes = async () => builtInShape()): OutputCheck {
  const layouts = boundedMemo(
    16,
    async ({ version, rank }: { version: string | null; rank: number | undefined }, signal: AbortSignal): Promise<ExpectedLoraLayout> => {
      const shape = await shapes(version, signal);
      return expectedLoraLayout(shape.linear, { rank: rank ?? shape.defaultRank });
    },
    ({ version, rank }) => `${version ?? 'built-in'}/${rank ?? 'default'}`,
  );
  return async (_name, bytes, job, signal) => {
    const spec = specOf(job);
    if (spec.kind === 'imagine') {
      const verdict = await validateImageResult(bytes, { width: spec.params.width, height: spec.params.height });
      return verdict.ok ? undefined : verdict.reason;
    }
    const verdict = validateLoraResult(bytes, await layouts({ version: job.modelVersion, rank: spec.params.rank }, signal));
    return verdict.ok ? undefined : verdict.reason;
  };
}

/**
 * Model shapes read from the versions themselves: the UNet's linear-layer index saved at import
 * and the model's `teambooth.json`, both through the version's manifest. Versions never change,
 * so each is read once (the last few are kept).
 */
export function versionShapes(deps: { state: StateAccess; content: ContentStore; manifestAt: (key: string, signal: AbortSignal) => Promise<ModelManifest> }): ModelShapes {
  const read = boundedMemo(8, async (version: string, signal: AbortSignal): Promise<TrainedModelShape> => {
    const record = await deps.state.query<ModelVersion>({ type: 'getModelVersion', versionId: version }, signal, true);
    const manifest = await deps.manifestAt(record.manifestKey, signal);
    const { content } = deps;
    const indexName = linearIndexEntryOf(manifest.tensors, 'unet');
    if (indexName === undefined) throw new Error(`model version ${version} has no UNet linear-layer index; re-import the base model`);
    const linear = parseLinearLayerIndex(await content.getVerified(manifest.tensors[indexName]!.sha256, { signal }), indexName);
    const settings = manifest.tensors[`${ENTRY_PREFIX.file}${MODEL_SETTINGS_FILE}`];
    const defaults =
      settings === undefined ? TRAIN_DEFAULTS : parseTrainDefaults(new TextDecoder().decode(await content.getVerified(settings.sha256, { signal })), `${MODEL_SETTINGS_FILE} of ${version}`);
    return { linear, defaultRank: defaults.rank };
  });
  return (version, signal) => (version === null ? Promise.resolve(builtInShape()) : read(version, signal));
}
