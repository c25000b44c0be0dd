/**
 * A fake clock with a deterministic event queue. Simulated time only moves when the test runs
 * the queue; events at the same time run in the order they were scheduled.
 */
export class SimClock {
  private time = 0;
  private seq = 0;
  private readonly heap: ScheduledEvent[] = [];

  /** Current simulated time in milliseconds. */
  now(): number {
    return this.time;
  }

  /** Runs `fn` after `delayMs` (0 = later in this instant). Returns a handle for {@link cancel}. */
  schedule(delayMs: number, fn: () => void): EventHandle {
    if (!(delayMs >= 0)) throw new RangeError(`negative or NaN delay ${delayMs}`);
    const event: ScheduledEvent = { at: this.time + delayMs, seq: this.seq++, fn, cancelled: false };
    this.push(event);
    return { cancel: () => (event.cancelled = true) };
  }

  /** Number of events still queued (cancelled ones included until they come up). */
  pending(): number {
    return this.heap.length;
  }

  /** Runs every event due up to and including `time`, then sets the clock to `time`. */
  runUntil(time: number): void {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || top.at > time) break;
      this.pop();
      if (top.cancelled) continue;
      this.time = top.at;
      top.fn();
    }
    if (time > this.time) this.time = time;
  }

  /** Runs the queue for `ms` of simulated time. */
  runFor(ms: number): void {
    this.runUntil(this.time + ms);
  }

  /**
   * Runs events in steps of `stepMs` until `done()` holds or `limitMs` has passed.
   * Returns whether `done()` held.
   */
  runUntilTrue(done: () => boolean, limitMs: number, stepMs = 1): boolean {
    const end = this.time + limitMs;
    while (!done()) {
      if (this.time >= end) return false;
      this.runUntil(Math.min(end, this.time + stepMs));
    }
    return true;
  }

  private push(event: ScheduledEvent): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as ScheduledEvent, heap[parent] as ScheduledEvent)) break;
      swap(heap, i, parent);
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop() as ScheduledEvent;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l] as ScheduledEvent, heap[m] as ScheduledEvent)) m = l;
      if (r < heap.length && before(heap[r] as ScheduledEvent, heap[m] as ScheduledEvent)) m = r;
      if (m === i) return;
      swap(heap, i, m);
      i = m;
    }
  }
}

/** Cancels a scheduled event. */
export interface EventHandle {
  cancel(): void;
}

interface ScheduledEvent {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

function swap<T>(a: T[], i: number, j: number): void {
  const t = a[i] as T;
  a[i] = a[j] as T;
  a[j] = t;
}
