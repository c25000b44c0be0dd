/** Quality figures of a model on the tiny world: prompt, subject and context fidelity, and base drift, each with its image count. */
export { measureAutoencoderFidelity, measureModelAutoencoderFidelity, type AutoencoderFidelity, type AutoencoderFidelityOptions, type RoundTrip } from './autoencoder-fidelity.ts';
export { baseDrift, type BaseDrift } from './base-drift.ts';
export { contextBackgrounds, DEFAULT_CONTEXT_BACKGROUNDS, measureContextFidelity, type ContextFidelity, type ContextFidelityCase, type ContextFidelityOptions } from './context-fidelity.ts';
export { evaluateModel, type BaseModelForEvaluation, type EvaluationFigures, type ModelEvaluation, type ModelEvaluationOptions } from './evaluate-model.ts';
export { evaluationSeeds, type EvaluationProgress, type EvaluationRun } from './evaluation-run.ts';
export { contextPrompt, evaluationSubject, subjectPrompt, type EvaluationSubject } from './evaluation-subject.ts';
export { meanFigure, shareFigure, type Figure } from './figure.ts';
export { pipelineImageSource, type ImageRequest, type ImageSource, type PipelineSamplingSettings } from './image-source.ts';
export { measurePromptFidelity, type PromptFidelity, type PromptFidelityCase, type PromptFidelityOptions } from './prompt-fidelity.ts';
export { measureSubjectFidelity, type SubjectFidelity, type SubjectFidelityCase } from './subject-fidelity.ts';
export { composeImageGrid, type ImageGridOptions } from './image-grid.ts';
export { pooledFigure, qualityTargets, renderQualityMarkdown, SUBJECT_FIDELITY_MARGIN, type QualityReport, type QualitySubjectResult, type QualityTarget } from './quality-markdown.ts';
