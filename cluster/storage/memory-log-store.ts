import { EMPTY_HARD_STATE } from '../raft/types.ts';
import type { Entry, HardState, Snapshot } from '../raft/types.ts';
import { checkAppend, checkHardState, checkSnapshot } from './write-checks.ts';
import type { LogStore, PersistedState } from './log-store.ts';

/**
 * In-memory {@link LogStore} for simulations and unit tests. Everything it accepted counts as
 * durable; a simulated crash is modelled by dropping the node and restarting it from a
 * {@link MemoryLogStore.clone} taken when it crashed. Same semantics as the file store:
 * overwriting truncation, compaction that keeps a matching suffix, stale snapshots ignored.
 * Entries and snapshots are held by reference and must not be mutated after being saved.
 */
export class MemoryLogStore implements LogStore {
  private hardState: HardState;
  private snapshot: Snapshot | undefined;
  /** Entries after the snapshot index, contiguous. */
  private entries: Entry[];
  private closed = false;

  /** Starts empty, or from `initial` (e.g. the state of another node's store). */
  constructor(initial?: PersistedState) {
    this.hardState = { ...(initial?.hardState ?? EMPTY_HARD_STATE) };
    this.snapshot = initial?.snapshot;
    this.entries = initial ? [...initial.entries] : [];
  }

  /** A store holding the same durable state, independent of this one from now on. */
  clone(): MemoryLogStore {
    const state: PersistedState = { hardState: this.hardState, entries: this.entries };
    if (this.snapshot) state.snapshot = this.snapshot;
    return new MemoryLogStore(state);
  }

  async load(): Promise<PersistedState> {
    const state: PersistedState = { hardState: { ...this.hardState }, entries: [...this.entries] };
    if (this.snapshot) state.snapshot = this.snapshot;
    return state;
  }

  async save(hardState: HardState | undefined, entries: Entry[]): Promise<void> {
    this.assertOpen();
    const base = this.baseIndex();
    checkAppend(entries, base, base + this.entries.length);
    if (hardState) checkHardState(hardState);
    if (entries.length > 0) {
      this.entries.length = entries[0]!.index - base - 1;
      for (const e of entries) this.entries.push(e);
    }
    if (hardState) this.hardState = { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
  }

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    this.assertOpen();
    checkSnapshot(snapshot);
    const base = this.baseIndex();
    const { index, term } = snapshot.metadata;
    if (index <= base) return;
    const at = index - base - 1;
    const keepsSuffix = at < this.entries.length && this.entries[at]!.term === term;
    this.entries = keepsSuffix ? this.entries.slice(at + 1) : [];
    this.snapshot = snapshot;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private baseIndex(): number {
    return this.snapshot?.metadata.index ?? 0;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('MemoryLogStore is closed');
  }
}
