import { WEIGHT_PREFIXES, type TrainedTinyWeights } from '../tiny-model/trained-weights.ts';

/** Graph-name prefixes of the training graphs, mapped to the weights file's key prefixes. */
const GRAPH_TO_FILE: Readonly<Record<string, string>> = {
  'text_encoder/': WEIGHT_PREFIXES.textEncoder,
  'unet/': WEIGHT_PREFIXES.unet,
  'vae_encoder/': WEIGHT_PREFIXES.vae,
  'vae_decoder/': WEIGHT_PREFIXES.vae,
};

/** The weights-file key of a training-graph weight: `unet/conv_in.weight` -> `unet.conv_in.weight`, `vae_decoder/x` -> `vae.x`. */
export function fileKeyOf(graphName: string): string {
  for (const [graphPrefix, filePrefix] of Object.entries(GRAPH_TO_FILE)) {
    if (graphName.startsWith(graphPrefix)) return `${filePrefix}${graphName.slice(graphPrefix.length)}`;
  }
  throw new Error(`"${graphName}" is not a weight of a tiny model component`);
}

/** Training-graph weights (by graph name, with their dims) as file-keyed tensors, merged over `base` (later wins). */
export function toFileTensors(
  weights: ReadonlyMap<string, Float32Array>,
  dims: ReadonlyMap<string, readonly number[]>,
  base: TrainedTinyWeights['tensors'] = new Map(),
): TrainedTinyWeights['tensors'] {
  const out = new Map(base);
  for (const [name, data] of weights) out.set(fileKeyOf(name), { shape: dims.get(name)!, data: Float32Array.from(data) });
  return out;
}

/** The start values of training-graph weights found in file-keyed tensors (missing ones are left out). */
export function fromFileTensors(tensors: TrainedTinyWeights['tensors'], graphNames: readonly string[]): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const name of graphNames) {
    const tensor = tensors.get(fileKeyOf(name));
    if (tensor !== undefined) out.set(name, tensor.data);
  }
  return out;
}
