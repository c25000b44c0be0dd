/**
 * Runs `work` over `items` with at most `limit` calls in flight and returns the results in input
 * order. The first failure starts no further calls, and the returned promise rejects with it only
 * once every call already started has ended, so a caller that cleans up after a failure (removes a
 * temporary directory, releases a buffer) never races work still running. Overlapping S3 round
 * trips with hashing and arithmetic is what makes imports and merges fast.
 */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failure !== undefined) throw failure.error;
  return results;
}
