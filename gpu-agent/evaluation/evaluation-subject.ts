import type { RgbImage } from '../image/rgb-image.ts';
import type { TinyColour } from '../tokenizer/tiny-world-words.ts';
import type { TinyWorldOracle } from '../tiny-world/oracle.ts';
import type { SubjectSignature } from '../tiny-world/subject-signature.ts';

/** A fine-tuned subject as the evaluation sees it: how to prompt for it and what it should look like. */
export interface EvaluationSubject {
  /** The rare word the LoRA was trained on, e.g. `zxq`. */
  token: string;
  /** The class word, e.g. `glyph`. */
  classNoun: string;
  /** Signatures of the subject's reference photos (at least one). */
  references: readonly SubjectSignature[];
  /** The subject's own colours, when known: context prompts never ask for them as the background. */
  colours?: readonly TinyColour[];
}

/**
 * An {@link EvaluationSubject} from reference photos: computes each photo's signature once.
 * @throws RangeError when no photo shows anything the oracle can take a signature of.
 */
export function evaluationSubject(
  oracle: TinyWorldOracle,
  subject: { token: string; classNoun: string; photos: readonly RgbImage[]; colours?: readonly TinyColour[] },
): EvaluationSubject {
  const references = subject.photos.map((photo) => oracle.signature(photo)).filter((s): s is SubjectSignature => s !== undefined);
  if (references.length === 0) throw new RangeError(`none of the ${subject.photos.length} reference photos shows a subject the oracle can read`);
  return { token: subject.token, classNoun: subject.classNoun, references, ...(subject.colours === undefined ? {} : { colours: subject.colours }) };
}

/** The DreamBooth instance prompt of a subject, "a photo of zxq glyph". */
export function subjectPrompt(subject: Pick<EvaluationSubject, 'token' | 'classNoun'>): string {
  return `a photo of ${subject.token} ${subject.classNoun}`;
}

/** The subject in a context it was not trained with: "a photo of zxq glyph on a green background". */
export function contextPrompt(subject: Pick<EvaluationSubject, 'token' | 'classNoun'>, background: TinyColour): string {
  return `${subjectPrompt(subject)} on a ${background} background`;
}
