/**
 * Lets one log line per key through per interval, counting the ones it held back, so a peer that
 * keeps failing the same way leaves one line a minute instead of one per message.
 */
export class LogRateLimiter {
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  /**
   * @param now clock in ms
   * @param intervalMs least time between two lines of one key
   * @param maxKeys bound on remembered keys (the oldest half is forgotten beyond it)
   */
  constructor(
    private readonly now: () => number,
    private readonly intervalMs: number,
    private readonly maxKeys = 1024,
  ) {}

  /**
   * Returns the number of lines held back for `key` since the last one let through, or
   * `undefined` when this line must be held back too.
   */
  take(key: string): number | undefined {
    const now = this.now();
    const entry = this.#last.get(key);
    if (entry && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return undefined;
    }
    const suppressed = entry?.suppressed ?? 0;
    if (!entry && this.#last.size >= this.maxKeys) this.#forgetOldest();
    this.#last.set(key, { at: now, suppressed: 0 });
    return suppressed;
  }

  #forgetOldest(): void {
    let drop = Math.ceil(this.#last.size / 2);
    for (const key of this.#last.keys()) {
      if (drop-- <= 0) break;
      this.#last.delete(key);
    }
  }
}
