/** A command line that cannot work as given (bad option value). The CLI prints it and exits with status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
