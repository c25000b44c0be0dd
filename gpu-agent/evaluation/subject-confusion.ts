import { TinyWorldOracle } from '../tiny-world/oracle.ts';
import { evaluationSeeds } from './evaluation-run.ts';
import type { EvaluationRun } from './evaluation-run.ts';
import { subjectPrompt } from './evaluation-subject.ts';
import type { EvaluationSubject } from './evaluation-subject.ts';
import type { ImageSource } from './image-source.ts';

/** Which subject the images of each subject's prompt look most like, in a model that knows several. */
export interface SubjectConfusion {
  /** `counts[i][j]`: images of subject i's prompt closest to subject j's references. */
  counts: number[][];
  /** `similarity[i][j]`: mean similarity of subject i's images to subject j's references. */
  similarity: number[][];
  /** Per subject, images in which the oracle found no subject at all (closest to none). */
  unreadable: number[];
  /** Images per subject (the seeds). */
  images: number;
}

/**
 * Crosstalk between subjects merged into one model: one image of "a photo of <token> <class>"
 * per subject and seed (0..seeds-1), each compared with every subject's reference photos by the
 * oracle's subject similarity; an image counts for the subject it is most similar to (the first
 * one on a tie). A model that keeps its subjects apart has its counts on the diagonal.
 */
export async function measureSubjectConfusion(source: ImageSource, subjects: readonly EvaluationSubject[], options: EvaluationRun): Promise<SubjectConfusion> {
  const oracle = options.oracle ?? new TinyWorldOracle();
  const seeds = evaluationSeeds(options.seeds);
  const counts = subjects.map(() => subjects.map(() => 0));
  const similarity = subjects.map(() => subjects.map(() => 0));
  const unreadable = subjects.map(() => 0);
  let done = 0;
  for (const [i, subject] of subjects.entries()) {
    for (const seed of seeds) {
      options.signal?.throwIfAborted();
      const signature = oracle.signature(await source({ prompt: subjectPrompt(subject), seed }, options.signal));
      const scores = subjects.map((other) => (signature === undefined ? 0 : oracle.subjectSimilarity(signature, other.references).similarity));
      scores.forEach((score, j) => (similarity[i]![j]! += score / seeds.length));
      const best = scores.indexOf(Math.max(...scores));
      if (signature === undefined) unreadable[i]!++;
      else counts[i]![best]!++;
      options.onProgress?.({ stage: 'subject-confusion', done: ++done, total: subjects.length * seeds.length });
    }
  }
  return { counts, similarity, unreadable, images: seeds.length };
}
