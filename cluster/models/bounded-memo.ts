/**
 * Memoizes an async load by key (`keyOf(input)`, the input itself by default), keeping the results
 * of the `limit` keys loaded last (model versions, their manifests and shapes never change, so a
 * kept result never goes stale). Calls for a key share one load; a load that fails is forgotten,
 * so the next call tries again.
 */
export function boundedMemo<I, V>(
  limit: number,
  load: (input: I, signal: AbortSignal) => Promise<V>,
  keyOf: (input: I) => unknown = (input) => input,
): (input: I, signal: AbortSignal) => Promise<V> {
  const loads = new Map<unknown, Promise<V>>();
  return (input, signal) => {
    const key = keyOf(input);
    let found = loads.get(key);
    if (found === undefined) {
      found = load(input, signal);
      found.catch(() => loads.delete(key));
      loads.set(key, found);
      for (const old of loads.keys()) if (loads.size > limit) loads.delete(old);
    }
    return found;
  };
}
