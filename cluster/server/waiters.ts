/** Small promise helpers for the node driver. */

/** The error an aborted wait rejects with: the signal's reason, or a standard AbortError. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error('the operation was aborted');
  error.name = 'AbortError';
  return error;
}

/** Races `promise` against `signal`; `cleanup` runs when the signal wins. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal, cleanup?: () => void): Promise<T> {
  if (signal.aborted) {
    cleanup?.();
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      cleanup?.();
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Resolves once `predicate()` holds, re-checking whenever `subscribe`'s listener is called;
 * rejects when `signal` aborts.
 */
export function waitFor(predicate: () => boolean, subscribe: (listener: () => void) => () => void, signal: AbortSignal): Promise<void> {
  if (predicate()) return Promise.resolve();
  let unsubscribe = () => {};
  const done = new Promise<void>((resolve) => {
    unsubscribe = subscribe(() => {
      if (predicate()) resolve();
    });
  });
  return abortable(done, signal, () => unsubscribe()).finally(() => unsubscribe());
}
