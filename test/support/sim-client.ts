import type { NodeId } from '../../cluster/raft/types.ts';
import type { KvOperation } from './linearizability.ts';
import type { Prng } from '../../gpu-agent/random/prng.ts';
import type { SimClock } from './sim-clock.ts';
import type { NodeReply } from './sim-node.ts';

/** What a client needs to reach the cluster: send a request to a node, maybe get an answer. */
export interface ClientTransport {
  /** Current member ids a client may try. */
  nodes(): NodeId[];
  put(node: NodeId, clientId: string, seq: number, key: string, value: string, reply: (r: NodeReply) => void): void;
  get(node: NodeId, key: string, reply: (r: NodeReply) => void): void;
}

export interface SimClientOptions {
  /** Keys the workload draws from. */
  keys: string[];
  /** Probability that an operation is a put. */
  putRatio: number;
  /** Give up on one attempt after this long and try another node. */
  attemptTimeoutMs: number;
  /** Pause between finishing one operation and starting the next, uniform in [0, thinkMs]. */
  thinkMs: number;
}

export const DEFAULT_CLIENT_OPTIONS: SimClientOptions = {
  keys: ['x', 'y', 'z'],
  putRatio: 0.5,
  attemptTimeoutMs: 300,
  thinkMs: 20,
};

/**
 * A client that runs a fixed number of operations one after another, like the cluster's real
 * client library: it follows leader hints, retries on another node after an error or a
 * timeout, and reuses its sequence number on retries so a write applies once. Every operation
 * is recorded with its first call time and final answer time for the linearizability checker.
 */
export class SimClient {
  private seq = 0;
  private remaining = 0;
  private preferred: NodeId = '';
  private attempt = 0;
  private current: KvOperation | undefined;
  /** Every operation this client started, finished or not. */
  readonly history: KvOperation[] = [];
  /** Attempts made, answers of each kind: for reports. */
  readonly counts = { attempts: 0, timeouts: 0, notLeader: 0, dropped: 0 };

  constructor(
    readonly id: string,
    private readonly clock: SimClock,
    private readonly random: Prng,
    private readonly transport: ClientTransport,
    private readonly options: SimClientOptions = DEFAULT_CLIENT_OPTIONS,
  ) {}

  /** Queues `count` more operations, starting now if idle. */
  run(count: number): void {
    this.remaining += count;
    if (this.current === undefined) this.clock.schedule(0, () => this.next());
  }

  /** Whether every queued operation has an answer. */
  idle(): boolean {
    return this.current === undefined && this.remaining === 0;
  }

  /** Stops starting new operations (the one in flight keeps retrying). */
  stop(): void {
    this.remaining = 0;
  }

  private next(): void {
    if (this.current !== undefined || this.remaining === 0) return;
    this.remaining--;
    const key = this.random.pick(this.options.keys);
    const op: KvOperation = this.random.chance(this.options.putRatio)
      ? { clientId: this.id, input: { kind: 'put', key, value: `${this.id}.${this.seq + 1}` }, call: this.clock.now() }
      : { clientId: this.id, input: { kind: 'get', key }, call: this.clock.now() };
    if (op.input.kind === 'put') this.seq++;
    this.current = op;
    this.history.push(op);
    this.send();
  }

  private send(): void {
    const op = this.current;
    if (op === undefined) return;
    const attempt = ++this.attempt;
    this.counts.attempts++;
    const members = this.transport.nodes();
    const node = members.includes(this.preferred) ? this.preferred : this.random.pick(members);
    const timer = this.clock.schedule(this.options.attemptTimeoutMs, () => {
      if (attempt !== this.attempt) return;
      this.counts.timeouts++;
      this.preferred = '';
      this.send();
    });
    const reply = (r: NodeReply): void => {
      if (attempt !== this.attempt || this.current !== op) return;
      timer.cancel();
      this.answer(op, node, r);
    };
    if (op.input.kind === 'put') this.transport.put(node, this.id, this.seq, op.input.key, op.input.value, reply);
    else this.transport.get(node, op.input.key, reply);
  }

  private answer(op: KvOperation, node: NodeId, r: NodeReply): void {
    if (r.ok) {
      op.output = r.value;
      op.ret = this.clock.now();
      this.current = undefined;
      this.preferred = node;
      this.attempt++;
      this.clock.schedule(this.random.int(0, this.options.thinkMs), () => this.next());
      return;
    }
    this.attempt++;
    if (r.error === 'notLeader') {
      this.counts.notLeader++;
      this.preferred = r.leaderHint !== node ? r.leaderHint : '';
    } else {
      this.counts.dropped++;
    }
    // Back off a little longer when there is no hint to follow.
    const delay = this.preferred !== '' ? 1 : this.random.int(10, 30);
    this.clock.schedule(delay, () => this.send());
  }
}
