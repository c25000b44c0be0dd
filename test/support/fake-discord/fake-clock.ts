/** Milliseconds since the Unix epoch of Discord's epoch (2015-01-01), the base of snowflakes. */
export const DISCORD_EPOCH_MS = 1_420_070_400_000;

/**
 * The fake's notion of time: it stands still unless a test advances it, so token expiry
 * and message timestamps are deterministic. It also mints snowflake ids, which encode the
 * time in their top bits as Discord's do (discord.js reads creation times from them).
 */
export class FakeClock {
  private offsetMs = 0;
  private sequence = 0;

  constructor(private readonly startMs: number) {}

  /** The current fake time, ms since the Unix epoch. */
  now(): number {
    return this.startMs + this.offsetMs;
  }

  /** Moves the clock forward. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advance takes a non-negative duration, got ${ms}`);
    this.offsetMs += ms;
  }

  /** The current time as an ISO 8601 string, as Discord writes timestamps. */
  iso(): string {
    return new Date(this.now()).toISOString();
  }

  /**
   * A new snowflake: the fake time in the top 42 bits, then a 22-bit sequence (worker,
   * process and increment fields together), so ids stay unique while the clock stands still.
   */
  snowflake(): string {
    const increment = BigInt(this.sequence++ % (1 << 22));
    return ((BigInt(this.now() - DISCORD_EPOCH_MS) << 22n) | increment).toString();
  }
}
