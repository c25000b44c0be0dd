/** Exactly-once identity of one proposal at a time: its id and the last sequence number it used. */
export interface ProposalSession {
  readonly id: string;
  seq: number;
}

/**
 * Sessions for the exactly-once identities of concurrent proposals from one process. The state
 * machine remembers, per client id, only the latest sequence number it applied, so each
 * proposal in flight takes a session of its own: ids are `<base>/<n>`, a session serves one
 * proposal at a time and its sequence number grows by one per proposal. The pool grows to the
 * highest number of proposals in flight at once.
 */
export class SessionPool {
  readonly #base: string;
  readonly #free: ProposalSession[] = [];
  #count = 0;

  /** `base` must be unique per process instance (a restarted process takes a new one). */
  constructor(base: string) {
    this.#base = base;
  }

  /** Runs `use` with a session whose `seq` was advanced for this proposal; retries inside `use` reuse it. */
  async with<T>(use: (session: Readonly<ProposalSession>) => Promise<T>): Promise<T> {
    const session = this.#free.pop() ?? { id: `${this.#base}/${this.#count++}`, seq: 0 };
    session.seq++;
    try {
      return await use(session);
    } finally {
      this.#free.push(session);
    }
  }
}
