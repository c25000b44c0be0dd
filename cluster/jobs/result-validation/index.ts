/** Validation of the results GPU agents upload (images, LoRAs) before any member sees or merges them. */
export { DEFAULT_IMAGE_LIMITS, validateImageResult, type ImageLimits } from './validate-image-result.ts';
export { expectedLoraLayout, type ExpectedLoraLayout, type ExpectedLoraLayoutOptions, type ExpectedLoraTensor, type LoraTensorDType } from './expected-lora-layout.ts';
export { DEFAULT_LORA_LIMITS, validateLoraResult, type LoraLimits } from './validate-lora-result.ts';
export type { ValidationResult } from './validation-result.ts';
