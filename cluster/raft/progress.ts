/**
 * The leader's view of one follower's replication (etcd-io/raft's Progress):
 * - probe: send one append at a time until the follower's match index is found;
 * - replicate: stream appends optimistically, at most `maxInflight` unacknowledged messages;
 * - snapshot: a snapshot is on its way; send nothing else until it is reported.
 */
export class Progress {
  match = 0;
  next: number;
  state: 'probe' | 'replicate' | 'snapshot' = 'probe';
  /** Probe state: an append was sent and no answer came back yet. */
  probeSent = false;
  pendingSnapshot = 0;
  /** Highest commit index this follower was told about that it can use. */
  commitSent = 0;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  /** Last index of every unacknowledged append, oldest first. */
  private inflight: number[] = [];
  private inflightHead = 0;

  constructor(
    next: number,
    readonly maxInflight: number,
    public isLearner: boolean,
  ) {
    this.next = next;
  }

  inflightCount(): number {
    return this.inflight.length - this.inflightHead;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflightCount() >= this.maxInflight;
      case 'snapshot':
        return true;
    }
  }

  private resetState(state: Progress['state']): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflight = [];
    this.inflightHead = 0;
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(index: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = index;
  }

  /** Records an append that carried entries up to `lastIndex`. */
  sentEntries(lastIndex: number, count: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflight.push(lastIndex);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /**
   * Frees the oldest in-flight slot. The leader calls it on a heartbeat response in the replicate
   * state, so that appends lost on the way cannot pause the follower forever.
   */
  freeFirstInflight(): void {
    if (this.inflightCount() > 0) this.inflightHead++;
  }

  /** An acknowledgement up to `index`. Returns false when it is stale. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    while (this.inflightHead < this.inflight.length && this.inflight[this.inflightHead]! <= index) this.inflightHead++;
    if (this.inflightHead > 64 && this.inflightHead * 2 > this.inflight.length) {
      this.inflight = this.inflight.slice(this.inflightHead);
      this.inflightHead = 0;
    }
    return updated;
  }

  /**
   * A rejection of the append at `rejected`; `hint` is where the follower suggests probing.
   * Returns false when the rejection is stale.
   */
  maybeDecrTo(rejected: number, hint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }
}
