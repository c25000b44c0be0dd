import type { NodeId } from './types.ts';

interface ReadRequest {
  index: number;
  /** The node that asked: the leader itself for local reads, or a follower. */
  from: NodeId;
  context: Uint8Array;
  acks: Set<NodeId>;
}

/**
 * ReadIndex bookkeeping on the leader (Raft thesis §6.4): each request remembers the commit
 * index when it arrived; once a quorum has answered a heartbeat that carried its context,
 * the leader knows it was still the leader at that moment, and the request (and every
 * request queued before it) may be served at that index.
 */
export class ReadOnly {
  private readonly pending = new Map<string, ReadRequest>();
  private queue: string[] = [];

  add(index: number, from: NodeId, context: Uint8Array, self: NodeId): void {
    const key = contextKey(context);
    if (this.pending.has(key)) return;
    this.pending.set(key, { index, from, context, acks: new Set([self]) });
    this.queue.push(key);
  }

  /** Records a heartbeat acknowledgement; returns the ackers of that request, if pending. */
  ack(from: NodeId, context: Uint8Array): Set<NodeId> | undefined {
    const request = this.pending.get(contextKey(context));
    if (!request) return undefined;
    request.acks.add(from);
    return request.acks;
  }

  /** Removes and returns every request up to and including the one for `context`. */
  release(context: Uint8Array): Array<{ index: number; from: NodeId; context: Uint8Array }> {
    const key = contextKey(context);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const done = this.queue.slice(0, at + 1);
    this.queue = this.queue.slice(at + 1);
    return done.map((k) => {
      const r = this.pending.get(k)!;
      this.pending.delete(k);
      return { index: r.index, from: r.from, context: r.context };
    });
  }

  lastContext(): Uint8Array | undefined {
    const key = this.queue[this.queue.length - 1];
    return key === undefined ? undefined : this.pending.get(key)!.context;
  }

  size(): number {
    return this.queue.length;
  }

  clear(): void {
    this.pending.clear();
    this.queue = [];
  }
}

function contextKey(context: Uint8Array): string {
  return Buffer.from(context.buffer, context.byteOffset, context.byteLength).toString('latin1');
}
