/** A forward graph that cannot be differentiated (missing rule, bad option, unsupported attribute); the message names the op and node. */
export class GradientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GradientError';
  }
}
