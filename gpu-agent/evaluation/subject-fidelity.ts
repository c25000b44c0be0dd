import { TinyWorldOracle } from '../tiny-world/oracle.ts';
import { evaluationSeeds } from './evaluation-run.ts';
import type { EvaluationRun } from './evaluation-run.ts';
import { subjectPrompt } from './evaluation-subject.ts';
import type { EvaluationSubject } from './evaluation-subject.ts';
import { meanFigure } from './figure.ts';
import type { Figure } from './figure.ts';
import type { ImageSource } from './image-source.ts';

/** Subject fidelity of one image. */
export interface SubjectFidelityCase {
  seed: number;
  /** Mean similarity over the references. */
  similarity: number;
  /** Similarity to the closest reference. */
  best: number;
}

/** How much the images of "a photo of <token> <class>" look like the subject. */
export interface SubjectFidelity {
  prompt: string;
  /** Mean over images of the oracle's subject similarity (mean over references), in [0, 1]. */
  similarity: Figure;
  /** Mean over images of the similarity to the closest reference. */
  best: Figure;
  cases: SubjectFidelityCase[];
}

/**
 * Subject fidelity: one image of "a photo of <token> <class>" per seed (0..seeds-1) from `source`,
 * scored with the oracle's subject similarity against the subject's reference photos. Run it on the
 * base model with the same prompt for the figure to compare with.
 */
export async function measureSubjectFidelity(source: ImageSource, subject: EvaluationSubject, options: EvaluationRun): Promise<SubjectFidelity> {
  const oracle = options.oracle ?? new TinyWorldOracle();
  const prompt = subjectPrompt(subject);
  const seeds = evaluationSeeds(options.seeds);
  const cases: SubjectFidelityCase[] = [];
  for (const seed of seeds) {
    options.signal?.throwIfAborted();
    const image = await source({ prompt, seed }, options.signal);
    const { similarity, best } = oracle.subjectSimilarity(image, subject.references);
    cases.push({ seed, similarity, best });
    options.onProgress?.({ stage: 'subject-fidelity', done: cases.length, total: seeds.length });
  }
  const result = { prompt, similarity: meanFigure(cases.map((c) => c.similarity)), best: meanFigure(cases.map((c) => c.best)), cases };
  options.logger?.debug({ prompt, similarity: result.similarity.value, images: cases.length }, 'subject fidelity measured');
  return result;
}
