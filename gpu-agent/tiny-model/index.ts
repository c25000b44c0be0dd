/** The built-in `teambooth-tiny` model: its config, builder and cache. */
export { ensureTinyModel, tinyModelId, type EnsureTinyModelOptions } from './ensure-tiny-model.ts';
export { defaultTinyModelConfig, latentSize, TINY_MODEL_BUILDER_VERSION, validateTinyModelConfig, type TinyModelConfig } from './tiny-model-config.ts';
export { componentWeights, parseTrainedWeights, readCommittedWeights, serializeTrainedWeights, TRAINED_WEIGHTS_PATH, WEIGHT_PREFIXES, type TrainedTinyWeights } from './trained-weights.ts';
export {
  isDefaultTinyModelConfig,
  resolveTinyModelWeights,
  TINY_MODEL_SUMMARY_FILE,
  writeTinyModel,
  type TinyModelParameters,
  type TinyModelSummary,
  type TinyModelWeightsChoice,
} from './write-tiny-model.ts';
