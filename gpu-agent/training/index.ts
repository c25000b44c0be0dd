/** DreamBooth-LoRA training compiled to ONNX: photos, loss, AdamW graph, session and trainer. */
export { appendAdamW, defaultAdamWSettings, OPTIMIZER_IO, type AdamWSettings, type OptimizedParameter, type ParameterToOptimize } from './append-adamw.ts';
export { appendDreamBoothLoss, LOSS_IO } from './append-dreambooth-loss.ts';
export { buildLoraTrainingGraph, findUnetInputs, type TrainableProjections, type TrainingGraph, type TrainingGraphOptions, type UnetInputs } from './build-training-graph.ts';
export { classPrompt, DREAMBOOTH_LIMITS, DreamBoothRequestError, instancePrompt, validateDreamBoothRequest, type DreamBoothRequest, type PriorPreservation } from './dreambooth-request.ts';
export { encodeTrainingData, type EncodedTrainingData } from './encode-training-data.ts';
export { hashUnetFiles } from './hash-unet-files.ts';
export { InstanceImageError, prepareInstanceImages, type InstanceImageFile, type PreparedImage, type PreparedImages, type PrepareImagesOptions } from './instance-images.ts';
export { createLoraTrainingSession, type LoraTrainingSession, type StepResult, type TrainingBatch, type TrainingSessionOptions } from './lora-training-session.ts';
export { trainDreamBoothLora, TrainingDivergedError, type DreamBoothResult, type TrainingProgress, type TrainOptions } from './train-dreambooth-lora.ts';
