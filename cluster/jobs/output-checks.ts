import type { OnnxGraph } from '../../gpu-agent/onnx/ir.ts';
import { defaultTinyModelConfig } from '../../gpu-agent/tiny-model/tiny-model-config.ts';
import { buildUnetGraph } from '../../gpu-agent/tiny-model/unet-graph.ts';
import { TINY_TRAIN_DEFAULTS } from '../../gpu-agent/tiny-model/write-tiny-model.ts';
import type { OutputCheck } from './job-objects.ts';
import { expectedLoraLayout, validateImageResult, validateLoraResult, type ExpectedLoraLayout } from './result-validation/index.ts';

/**
 * The checks a node runs on agents' uploads: an imagine job's PNGs must decode to the requested
 * size; a train job's LoRA must match the layout training produces for the base model's UNet at
 * the job's rank (keys, shapes, dtypes, finite values, bounded norms). `baseUnet` gives the base
 * model's UNet graph, built on first need; only its structure matters (the built-in tiny model's
 * by default); `defaultRank` is the rank agents train at when a job leaves it out (the model's
 * own default, as agents read it from its `teambooth.json`).
 */
export function createOutputCheck(
  baseUnet: () => OnnxGraph = () => buildUnetGraph(defaultTinyModelConfig()).model.graph,
  defaultRank: number = TINY_TRAIN_DEFAULTS.rank,
): OutputCheck {
  const layouts = new Map<number, ExpectedLoraLayout>();
  let unet: OnnxGraph | undefined;
  return async (_name, bytes, spec) => {
    if (spec.kind === 'imagine') {
      const verdict = await validateImageResult(bytes, { width: spec.params.width, height: spec.params.height });
      return verdict.ok ? undefined : verdict.reason;
    }
    const rank = spec.params.rank ?? defaultRank;
    let layout = layouts.get(rank);
    if (layout === undefined) {
      unet ??= baseUnet();
      layout = expectedLoraLayout(unet, { rank });
      layouts.set(rank, layout);
    }
    const verdict = validateLoraResult(bytes, layout);
    return verdict.ok ? undefined : verdict.reason;
  };
}
