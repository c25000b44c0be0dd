/** The built-in `teambooth-tiny` model: its config, builder and cache. */
export { ensureTinyModel, tinyModelId, type EnsureTinyModelOptions } from './ensure-tiny-model.ts';
export { defaultTinyModelConfig, latentSize, TINY_MODEL_BUILDER_VERSION, validateTinyModelConfig, type TinyModelConfig } from './tiny-model-config.ts';
export { TINY_MODEL_SUMMARY_FILE, writeTinyModel, type TinyModelParameters, type TinyModelSummary } from './write-tiny-model.ts';
