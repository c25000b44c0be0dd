/** LoRA for Stable Diffusion ONNX graphs: safetensors, kohya files, finding, injecting and merging adapters. */
export { findLinearLayers, type LinearLayer } from './find-linear-layers.ts';
export { DEFAULT_LORA_MODULES, findLoraTargets, KOHYA_UNET_PREFIX, kohyaKey, NoLoraTargetsError, type FindLoraTargetsOptions, type LoraTarget } from './find-lora-targets.ts';
export { injectLora, loraParameterNames, type InjectedLora, type InjectLoraOptions, type LoraParameterNames } from './inject-lora.ts';
export { parseLoraFile, serializeLoraFile, type ParsedLoraFile, type TeamboothLoraInfo } from './lora-file.ts';
export { initLoraWeights, type InitLoraOptions, type LoraLayer, type LoraWeights } from './lora-weights.ts';
export { addLoraDelta, mergeLoraIntoWeights, type MergeLoraOptions } from './merge-lora.ts';
export { parseSafetensors, readSafetensorsFile, type SafetensorsLimits } from './parse-safetensors.ts';
export { float32Tensor, SAFETENSORS_DTYPE_BYTES, SafetensorsError, tensorToFloat32, type SafetensorsContent, type SafetensorsDType, type SafetensorsTensor } from './safetensors-format.ts';
export { serializeSafetensors } from './serialize-safetensors.ts';
export { writeLoraMergedModel, type MergedModel, type WriteMergedModelOptions } from './write-lora-merged-model.ts';
