import type { TinyColour } from '../tokenizer/tiny-world-words.ts';
import type { EvaluationPrompt } from '../tiny-world/evaluation-prompts.ts';
import { TinyWorldOracle } from '../tiny-world/oracle.ts';
import { baseDrift } from './base-drift.ts';
import type { BaseDrift } from './base-drift.ts';
import { measureContextFidelity } from './context-fidelity.ts';
import type { ContextFidelity } from './context-fidelity.ts';
import type { EvaluationRun } from './evaluation-run.ts';
import type { EvaluationSubject } from './evaluation-subject.ts';
import type { Figure } from './figure.ts';
import type { ImageSource } from './image-source.ts';
import { measurePromptFidelity } from './prompt-fidelity.ts';
import type { PromptFidelity } from './prompt-fidelity.ts';
import { measureSubjectFidelity } from './subject-fidelity.ts';
import type { SubjectFidelity } from './subject-fidelity.ts';

/** Every figure of a model evaluation; those that do not apply are absent. */
export interface EvaluationFigures {
  /** Share of base-prompt images with background colour, foreground colour and shape all right. */
  promptFidelity: Figure;
  backgroundAccuracy: Figure;
  colourAccuracy: Figure;
  shapeAccuracy: Figure;
  /** Shape accuracy on the prompts that ask for a small, medium or large shape. */
  shapeAccuracySmall: Figure;
  shapeAccuracyMedium: Figure;
  shapeAccuracyLarge: Figure;
  /** Mean subject similarity of "a photo of <token> <class>" (needs a subject). */
  subjectFidelity?: Figure;
  /** The same prompt on the base model (needs a subject and a base model). */
  baseSubjectFidelity?: Figure;
  /** Share of context images whose background is the requested one (needs a subject). */
  contextFidelity?: Figure;
  /** Mean subject similarity of the context images (needs a subject). */
  contextSubjectFidelity?: Figure;
  /** Prompt fidelity of the base model (needs a base model). */
  basePromptFidelity?: Figure;
  /** `promptFidelity - basePromptFidelity` (needs a base model). */
  baseDrift?: Figure;
}

/** The base model an adapted model is compared with. */
export interface BaseModelForEvaluation {
  source: ImageSource;
  /** An earlier measurement of the base model with the same prompts and seeds, reused instead of measured again. */
  promptFidelity?: PromptFidelity;
}

/** Options of {@link evaluateModel}. */
export interface ModelEvaluationOptions extends EvaluationRun {
  /** The model under evaluation (with its LoRA applied, when it has one). */
  source: ImageSource;
  /** The base model, when `source` is a fine-tune of it: adds base drift (and base subject fidelity with a subject). */
  base?: BaseModelForEvaluation;
  /** The fine-tuned subject: adds subject and context fidelity. */
  subject?: EvaluationSubject;
  /** Context backgrounds (default: four that are none of the subject's colours). */
  backgrounds?: readonly TinyColour[];
  /** Base prompts (default: the fixed 48 evaluation prompts). */
  prompts?: readonly EvaluationPrompt[];
}

/** Everything {@link evaluateModel} measured, figures first, with each image's reading for the curious. */
export interface ModelEvaluation {
  figures: EvaluationFigures;
  promptFidelity: PromptFidelity;
  basePromptFidelity?: PromptFidelity;
  drift?: BaseDrift;
  subjectFidelity?: SubjectFidelity;
  baseSubjectFidelity?: SubjectFidelity;
  contextFidelity?: ContextFidelity;
}

/**
 * Measures a model on the tiny world: prompt fidelity always; with `base`, the base model's
 * prompt fidelity and the drift between them; with `subject`, subject fidelity (on the base model
 * too when there is one) and context fidelity. Every image comes from seeds 0..seeds-1, so a run
 * is deterministic. One oracle serves every measurement.
 */
export async function evaluateModel(options: ModelEvaluationOptions): Promise<ModelEvaluation> {
  const run: EvaluationRun = { ...options, oracle: options.oracle ?? new TinyWorldOracle() };
  const promptOptions = { ...run, ...(options.prompts === undefined ? {} : { prompts: options.prompts }) };
  const promptFidelity = await measurePromptFidelity(options.source, promptOptions);
  const figures: EvaluationFigures = {
    promptFidelity: promptFidelity.all,
    backgroundAccuracy: promptFidelity.background,
    colourAccuracy: promptFidelity.colour,
    shapeAccuracy: promptFidelity.shape,
    shapeAccuracySmall: promptFidelity.shapeBySize.small,
    shapeAccuracyMedium: promptFidelity.shapeBySize.medium,
    shapeAccuracyLarge: promptFidelity.shapeBySize.large,
  };
  const evaluation: ModelEvaluation = { figures, promptFidelity };
  if (options.base !== undefined) {
    const base = options.base.promptFidelity ?? (await measurePromptFidelity(options.base.source, { ...promptOptions, onProgress: relabel(run, 'base-prompt-fidelity') }));
    evaluation.basePromptFidelity = base;
    evaluation.drift = baseDrift(base, promptFidelity);
    figures.basePromptFidelity = base.all;
    figures.baseDrift = evaluation.drift.drift;
  }
  if (options.subject !== undefined) {
    evaluation.subjectFidelity = await measureSubjectFidelity(options.source, options.subject, run);
    figures.subjectFidelity = evaluation.subjectFidelity.similarity;
    if (options.base !== undefined) {
      evaluation.baseSubjectFidelity = await measureSubjectFidelity(options.base.source, options.subject, { ...run, onProgress: relabel(run, 'base-subject-fidelity') });
      figures.baseSubjectFidelity = evaluation.baseSubjectFidelity.similarity;
    }
    evaluation.contextFidelity = await measureContextFidelity(options.source, options.subject, {
      ...run,
      ...(options.backgrounds === undefined ? {} : { backgrounds: options.backgrounds }),
    });
    figures.contextFidelity = evaluation.contextFidelity.background;
    figures.contextSubjectFidelity = evaluation.contextFidelity.similarity;
  }
  options.logger?.info({ figures }, 'evaluation finished');
  return evaluation;
}

/** The run's progress callback, reporting under another stage name (the base model's measurements). */
function relabel(run: EvaluationRun, stage: string): EvaluationRun['onProgress'] {
  const report = run.onProgress;
  return report === undefined ? undefined : (progress) => report({ ...progress, stage });
}
