import type { z } from 'zod';

/**
 * Turns zod validation issues into one sentence a user can act on, e.g.
 * `invalid createAgent command: tokenHash: must be ...; unknown field "tokenhash" (remove it)`.
 */
export function describeIssues(what: string, error: z.ZodError): string {
  const parts = error.issues.slice(0, 5).map((issue) => {
    const where = issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((key) => `"${key}"`).join(', ');
      return `${where}unknown field${issue.keys.length > 1 ? 's' : ''} ${keys} (remove ${issue.keys.length > 1 ? 'them' : 'it'} or check the spelling)`;
    }
    if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) {
      return `${where}is required`;
    }
    return `${where}${issue.message}`;
  });
  const more = error.issues.length > 5 ? ` (and ${error.issues.length - 5} more problems)` : '';
  return `invalid ${what}: ${parts.join('; ')}${more}`;
}

/** A zod error option: "is required" when the field is missing, `message` otherwise. */
export function requiredOr(message: string): (issue: { input?: unknown }) => string {
  return (issue) => (issue.input === undefined ? 'is required' : message);
}
