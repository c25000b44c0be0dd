import { relative } from 'node:path';

/** A path as printed: relative to the working directory when it lies inside it. */
export function shownPath(path: string, cwd: string): string {
  const shown = relative(cwd, path);
  return shown.startsWith('..') ? path : shown;
}
