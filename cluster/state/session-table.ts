import type { Session } from './types.ts';

/**
 * Exactly-once sessions, kept in least-recently-used order. Touch times come from the state
 * machine's monotonic clock, so insertion order of the map is also timestamp order and the
 * first entry is always the one to evict. The order survives snapshots because {@link list}
 * and the constructor keep it.
 */
export class SessionTable {
  private readonly sessions = new Map<string, Session>();

  constructor(
    readonly maxSessions: number,
    initial: readonly Session[] = [],
  ) {
    for (const session of initial) this.sessions.set(session.clientId, { ...session });
  }

  get size(): number {
    return this.sessions.size;
  }

  get(clientId: string): Session | undefined {
    return this.sessions.get(clientId);
  }

  /** Marks a session as used at `at` without changing its result. */
  touch(clientId: string, at: number): void {
    const session = this.sessions.get(clientId);
    if (!session) return;
    this.sessions.delete(clientId);
    this.sessions.set(clientId, { ...session, lastUsedAt: at });
  }

  /** Records the result of `seq` for `clientId`, evicting the least recently used sessions beyond the bound. */
  record(clientId: string, seq: number, at: number, resultJson: string): void {
    this.sessions.delete(clientId);
    this.sessions.set(clientId, { clientId, lastSeq: seq, lastUsedAt: at, resultJson });
    while (this.sessions.size > this.maxSessions) {
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
    }
  }

  /** Sessions from least to most recently used (copies). */
  list(): Session[] {
    return [...this.sessions.values()].map((session) => ({ ...session }));
  }
}
