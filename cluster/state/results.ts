import type { AppliedResult, ErrorCode } from './types.ts';

/** A successful result carrying `value` (plain JSON data). */
export function ok(value: unknown): AppliedResult {
  return { ok: true, value };
}

/** A refusal; `message` should tell the user what to change. */
export function fail(code: ErrorCode, message: string): AppliedResult {
  return { ok: false, error: { code, message } };
}
