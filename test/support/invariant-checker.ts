import type { Entry, HardState, NodeId } from '../../cluster/raft/types.ts';
import type { SimStore } from './sim-store.ts';

/** Thrown the moment a safety property of Raft is broken; the message says which and where. */
export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

/**
 * Watches every node of a simulation and fails fast on a broken safety property (Raft §5.2-5.4):
 *  - Election Safety: at most one leader per term;
 *  - State Machine Safety: every node applies the same entry at each index, in index order,
 *    and reaches the same state (fingerprint) there, snapshots included;
 *  - Leader Completeness: a new leader's log holds every entry applied anywhere before;
 *  - Log Matching: logs that agree on (index, term) hold the same entry there and before;
 *  - durable hard state: term never decreases, one vote per term, commit never regresses.
 */
export class InvariantChecker {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** Identity of the entry applied at each index, and the state fingerprint after it. */
  private readonly applied = new Map<number, { term: number; identity: string; print: number }>();
  private maxApplied = 0;
  /** Identity of every entry seen in any log, by index and term (Log Matching, first half). */
  private readonly logged = new Map<string, string>();
  private readonly hard = new Map<NodeId, HardState>();
  private readonly appliedBy = new Map<NodeId, number>();
  /** Checks run, leaders elected and snapshots installed from a leader: for reports. */
  checks = 0;
  elections = 0;
  snapshotsInstalled = 0;

  constructor(private readonly now: () => number) {}

  /** A node persisted a hard state. */
  onHardState(node: NodeId, next: HardState): void {
    this.checks++;
    const prev = this.hard.get(node);
    if (prev !== undefined) {
      if (next.term < prev.term) this.fail(`${node}: term went back from ${prev.term} to ${next.term}`);
      if (next.term === prev.term && prev.vote !== '' && next.vote !== prev.vote) {
        this.fail(`${node}: voted for ${prev.vote} and then ${next.vote || 'nobody'} in term ${next.term}`);
      }
      if (next.commit < prev.commit) this.fail(`${node}: commit index went back from ${prev.commit} to ${next.commit}`);
    }
    this.hard.set(node, { ...next });
  }

  /** A node became leader in `term`; `store` is its log after persisting that Ready. */
  onLeader(node: NodeId, term: number, store: SimStore): void {
    this.checks++;
    const other = this.leaderOfTerm.get(term);
    if (other !== undefined && other !== node) this.fail(`Election Safety: ${other} and ${node} are both leaders of term ${term}`);
    this.leaderOfTerm.set(term, node);
    this.elections++;
    if (store.lastIndex() < this.maxApplied) {
      this.fail(`Leader Completeness: ${node} leads term ${term} with last index ${store.lastIndex()}, but index ${this.maxApplied} was applied`);
    }
    for (let i = store.snapshotIndex() + 1; i <= this.maxApplied; i++) {
      const want = this.applied.get(i);
      const have = store.entry(i);
      if (want !== undefined && have !== undefined && (have.term !== want.term || identity(have) !== want.identity)) {
        this.fail(`Leader Completeness: ${node} leads term ${term} but its entry ${i} (term ${have.term}) differs from the applied one (term ${want.term})`);
      }
    }
  }

  /** A node applied `entry`; `print` is its state fingerprint afterwards. */
  onApply(node: NodeId, entry: Entry, print: number): void {
    this.checks++;
    const last = this.appliedBy.get(node) ?? 0;
    if (entry.index !== last + 1) this.fail(`${node}: applied entry ${entry.index} right after ${last}`);
    this.appliedBy.set(node, entry.index);
    const id = identity(entry);
    const known = this.applied.get(entry.index);
    if (known === undefined) {
      this.applied.set(entry.index, { term: entry.term, identity: id, print });
      this.maxApplied = Math.max(this.maxApplied, entry.index);
    } else if (known.term !== entry.term || known.identity !== id) {
      this.fail(`State Machine Safety: ${node} applied ${describe(entry)} at ${entry.index}, another node applied term ${known.term} ${known.identity.slice(0, 80)}`);
    } else if (known.print !== print) {
      this.fail(`State Machine Safety: ${node} reached a different state after entry ${entry.index}`);
    }
  }

  /** A node replaced its state with a snapshot at (index, term). */
  onSnapshot(node: NodeId, index: number, term: number, print: number): void {
    this.checks++;
    const last = this.appliedBy.get(node) ?? 0;
    if (index <= last) this.fail(`${node}: installed a snapshot at ${index} but had applied ${last} already`);
    this.appliedBy.set(node, index);
    this.snapshotsInstalled++;
    const known = this.applied.get(index);
    if (known !== undefined && (known.term !== term || known.print !== print)) {
      this.fail(`State Machine Safety: ${node} installed a snapshot at ${index} (term ${term}) that differs from the state applied there`);
    }
  }

  /**
   * A node restarted: its applied index starts again from its snapshot, and its commit index
   * from the last one it fsynced (the commit index only grows within one incarnation).
   */
  onRestart(node: NodeId, applied: number, commit: number): void {
    this.appliedBy.set(node, applied);
    const hard = this.hard.get(node);
    if (hard !== undefined) this.hard.set(node, { ...hard, commit });
  }

  /** Log Matching over the stored logs of the given nodes. */
  checkLogs(stores: ReadonlyMap<NodeId, SimStore>): void {
    this.checks++;
    for (const [node, store] of stores) {
      for (const e of store.entries) {
        const key = `${e.index}/${e.term}`;
        const id = identity(e);
        const seen = this.logged.get(key);
        if (seen === undefined) this.logged.set(key, id);
        else if (seen !== id) this.fail(`Log Matching: ${node} holds a different entry at index ${e.index} of term ${e.term}`);
      }
    }
    const list = [...stores];
    for (let a = 0; a < list.length; a++) {
      for (let b = a + 1; b < list.length; b++) {
        const [na, sa] = list[a] as [NodeId, SimStore];
        const [nb, sb] = list[b] as [NodeId, SimStore];
        const lo = Math.max(sa.snapshotIndex(), sb.snapshotIndex()) + 1;
        let agreed = false;
        for (let i = Math.min(sa.lastIndex(), sb.lastIndex()); i >= lo; i--) {
          const same = sa.term(i) === sb.term(i);
          if (agreed && !same) this.fail(`Log Matching: ${na} and ${nb} agree at a later index but differ at ${i}`);
          if (same) agreed = true;
        }
      }
    }
  }

  /** Every (term, leader) seen so far, by term. */
  leaders(): Array<[number, NodeId]> {
    return [...this.leaderOfTerm].sort((a, b) => a[0] - b[0]);
  }

  /** The node that led `term`, if any did. */
  leaderOf(term: number): NodeId | undefined {
    return this.leaderOfTerm.get(term);
  }

  /** What was applied at `index` (as `type:data`), once any node applied it. */
  appliedAt(index: number): string | undefined {
    return this.applied.get(index)?.identity;
  }

  /** Highest index applied on any node. */
  highestApplied(): number {
    return this.maxApplied;
  }

  private fail(text: string): never {
    throw new InvariantViolation(`at ${this.now()} ms: ${text}`);
  }
}

function identity(e: Entry): string {
  return `${e.type}:${new TextDecoder().decode(e.data)}`;
}

function describe(e: Entry): string {
  return `term ${e.term} ${identity(e).slice(0, 80)}`;
}
