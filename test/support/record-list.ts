/** Options for {@link RecordList.waitFor}. */
export interface WaitOptions {
  /** How long to wait before failing; default 3000 ms. */
  timeoutMs?: number;
  /** Names what is awaited in the failure message (default: the list's label). */
  what?: string;
}

interface Waiter<T> {
  matches: (item: T) => boolean;
  resolve: (item: T) => void;
}

/**
 * An append-only record of what a fake saw (requests, calls, edits, messages), in order of
 * arrival, with waiting for an entry that matches. A wait that times out fails with a
 * message listing every entry received, so a failing test says what did arrive.
 */
export class RecordList<T> implements Iterable<T> {
  private readonly items: T[] = [];
  private readonly waiters = new Set<Waiter<T>>();

  /**
   * @param label what an entry is, for failure messages ("edit", "REST request").
   * @param describe one line for an entry, for failure messages.
   */
  constructor(
    private readonly label: string,
    private readonly describe: (item: T) => string,
  ) {}

  /** Appends an entry and wakes the waiters it satisfies. */
  push(item: T): T {
    this.items.push(item);
    for (const waiter of [...this.waiters]) {
      if (waiter.matches(item)) waiter.resolve(item);
    }
    return item;
  }

  get length(): number {
    return this.items.length;
  }

  /** The entries so far, oldest first (a copy). */
  all(): T[] {
    return [...this.items];
  }

  /** The entry at `index`; negative counts from the end. */
  at(index: number): T | undefined {
    return this.items.at(index);
  }

  /** The last entry. */
  last(): T | undefined {
    return this.items.at(-1);
  }

  [Symbol.iterator](): Iterator<T> {
    return this.items[Symbol.iterator]();
  }

  /**
   * The first entry (already recorded or still to come) that satisfies `predicate`.
   * Rejects after the timeout with a message that lists every entry received.
   */
  waitFor(predicate: (item: T) => boolean = () => true, options: WaitOptions = {}): Promise<T> {
    const found = this.items.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    const timeoutMs = options.timeoutMs ?? 3000;
    return new Promise<T>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter: Waiter<T> = {
        matches: predicate,
        resolve: (item) => {
          finish();
          resolve(item);
        },
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no matching ${options.what ?? this.label} within ${timeoutMs} ms; ${this.summary()}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** One line an entry, for failure messages. */
  summary(): string {
    if (this.items.length === 0) return `no ${this.label} received`;
    const lines = this.items.map((item, i) => `  #${i} ${truncate(this.describe(item), 300)}`);
    return `${this.label} entries received:\n${lines.join('\n')}`;
  }
}

/** `text` cut to `max` characters, with `...` where it was cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}
