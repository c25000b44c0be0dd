/**
 * The verdict on a result an agent uploaded: accepted, or refused with one sentence an operator
 * can act on. A refusal fails the job attempt and counts against the agent, so the reason names
 * the part of the file that is wrong and what was expected instead.
 */
export type ValidationResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** The accepting verdict. */
export const VALID: ValidationResult = Object.freeze({ ok: true });

/** A refusal with `reason`. */
export function invalid(reason: string): ValidationResult {
  return { ok: false, reason };
}
