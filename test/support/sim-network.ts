import type { Prng } from '../../gpu-agent/random/prng.ts';
import type { SimClock } from './sim-clock.ts';

/** Anything the network can route: it names a sender and a receiver. */
export interface Addressed {
  from: string;
  to: string;
}

/** How a link misbehaves. Rates are probabilities per message. */
export interface LinkFaults {
  /** Delivery delay is uniform in [minDelayMs, maxDelayMs]. */
  minDelayMs: number;
  maxDelayMs: number;
  dropRate: number;
  /** A duplicated message is delivered twice, each copy with its own delay. */
  duplicateRate: number;
  /** A reordered message is held back an extra [0, reorderExtraMs] so later messages overtake it. */
  reorderRate: number;
  reorderExtraMs: number;
}

/** What happened to one message handed to {@link SimNetwork.send}. */
export type SendOutcome = 'queued' | 'dropped' | 'blocked';

/** Why a message was not delivered. */
export type DropReason = 'random' | 'partition' | 'down' | 'intercepted';

/**
 * A per-message rule: return 'drop' to lose the message, a number to deliver it after exactly
 * that many milliseconds (no random drop, duplication or reordering), several numbers to
 * deliver one copy after each, or undefined to leave it alone.
 */
export type Interceptor<M> = (message: M) => 'drop' | number | number[] | undefined;

export const PERFECT_LINKS: LinkFaults = {
  minDelayMs: 1,
  maxDelayMs: 1,
  dropRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
  reorderExtraMs: 0,
};

/** Counters since construction (or the last {@link SimNetwork.resetStats}). */
export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
}

/**
 * An in-memory network on a fake clock. Every random choice comes from the injected
 * {@link Prng}, so a run is a pure function of its seed and the calls made on it.
 *
 * Links are checked twice: when a message is sent and again when it arrives, so a partition
 * that starts while a message is in flight loses it, as a real one would.
 */
export class SimNetwork<M extends Addressed> {
  private faults: LinkFaults;
  private readonly linkFaults = new Map<string, LinkFaults>();
  private readonly handlers = new Map<string, (message: M) => void>();
  /** Group number per node while a partition is active; nodes in different groups cannot talk. */
  private groups: Map<string, number> | undefined;
  private readonly cuts = new Set<string>();
  private readonly isolated = new Set<string>();
  private readonly interceptors: Array<Interceptor<M>> = [];
  private readonly deliverObservers: Array<(message: M) => void> = [];
  private readonly dropObservers: Array<(message: M, reason: DropReason) => void> = [];
  private readonly doneObservers: Array<(message: M, delivered: boolean) => void> = [];
  private counters: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };

  constructor(
    private readonly clock: SimClock,
    private readonly random: Prng,
    faults: Partial<LinkFaults> = {},
    /** Copies a message before each delivery so receivers never share objects with the sender. */
    private readonly copy: (message: M) => M = (m) => ({ ...m }),
  ) {
    this.faults = checkFaults({ ...PERFECT_LINKS, ...faults });
  }

  /** Attaches `node`: messages to it are delivered to `handler` from now on. */
  attach(node: string, handler: (message: M) => void): void {
    this.handlers.set(node, handler);
  }

  /** Detaches `node` (crashed): messages to it are lost until it attaches again. */
  detach(node: string): void {
    this.handlers.delete(node);
  }

  /** Replaces the default faults of every link (fields not given keep their value). */
  setFaults(faults: Partial<LinkFaults>): void {
    this.faults = checkFaults({ ...this.faults, ...faults });
  }

  /** Overrides the faults of the one-way link `from -> to`. */
  setLinkFaults(from: string, to: string, faults: Partial<LinkFaults>): void {
    this.linkFaults.set(linkKey(from, to), checkFaults({ ...this.faultsOf(from, to), ...faults }));
  }

  /**
   * Splits the nodes into groups that cannot reach each other. A node named in no group can
   * reach no one. Replaces any earlier partition; one-way cuts stay.
   */
  partition(...groups: string[][]): void {
    const map = new Map<string, number>();
    groups.forEach((group, i) => {
      for (const node of group) {
        if (map.has(node)) throw new Error(`node ${node} is in two partition groups`);
        map.set(node, i);
      }
    });
    this.groups = map;
  }

  /** Cuts every link between `node` and the others, both ways, on top of any partition. */
  isolate(node: string): void {
    this.isolated.add(node);
  }

  /** Cuts the one-way link `from -> to`; the reverse direction still works. */
  cut(from: string, to: string): void {
    this.cuts.add(linkKey(from, to));
  }

  /** Removes every partition, one-way cut and per-link fault override. */
  heal(): void {
    this.groups = undefined;
    this.cuts.clear();
    this.isolated.clear();
    this.linkFaults.clear();
  }

  /** Whether a message from `from` would currently get through to `to` (ignoring random drops). */
  canReach(from: string, to: string): boolean {
    if (from === to) return true;
    if (this.cuts.has(linkKey(from, to))) return false;
    if (this.isolated.has(from) || this.isolated.has(to)) return false;
    if (this.groups !== undefined) {
      const a = this.groups.get(from);
      const b = this.groups.get(to);
      if (a === undefined || b === undefined || a !== b) return false;
    }
    return true;
  }

  /** Whether `node` is attached (up). */
  isUp(node: string): boolean {
    return this.handlers.has(node);
  }

  /** Sends one message. A `blocked` outcome means the sender could tell the peer is unreachable. */
  send(message: M): SendOutcome {
    this.counters.sent++;
    const send: SendRecord = { copies: 0, done: false };
    if (!this.canReach(message.from, message.to) || !this.handlers.has(message.to)) {
      this.drop(message, this.handlers.has(message.to) ? 'partition' : 'down', send);
      return 'blocked';
    }
    for (const rule of this.interceptors) {
      const verdict = rule(message);
      if (verdict === undefined) continue;
      if (verdict === 'drop') {
        this.drop(message, 'intercepted', send);
        return 'dropped';
      }
      const delays = typeof verdict === 'number' ? [verdict] : verdict;
      for (const delay of delays) this.schedule(message, delay, send);
      if (delays.length > 1) this.counters.duplicated += delays.length - 1;
      return 'queued';
    }
    const faults = this.faultsOf(message.from, message.to);
    if (this.random.chance(faults.dropRate)) {
      this.drop(message, 'random', send);
      return 'dropped';
    }
    this.enqueue(message, faults, send);
    if (this.random.chance(faults.duplicateRate)) {
      this.counters.duplicated++;
      this.enqueue(message, faults, send);
    }
    return 'queued';
  }

  /** Adds a per-message rule (checked in order, before the link faults); returns a function that removes it. */
  intercept(rule: Interceptor<M>): () => void {
    this.interceptors.push(rule);
    return () => {
      const i = this.interceptors.indexOf(rule);
      if (i >= 0) this.interceptors.splice(i, 1);
    };
  }

  /** Calls `fn` for every delivered message (after the receiver handled it). */
  onDeliver(fn: (message: M) => void): void {
    this.deliverObservers.push(fn);
  }

  /** Calls `fn` for every message that was lost (each copy of a duplicated one). */
  onDrop(fn: (message: M, reason: DropReason) => void): void {
    this.dropObservers.push(fn);
  }

  /**
   * Calls `fn` once per {@link send}, as a streaming transport reports a finished send: with
   * true when the first copy arrives, or false once every copy is lost.
   */
  onSendDone(fn: (message: M, delivered: boolean) => void): void {
    this.doneObservers.push(fn);
  }

  stats(): NetworkStats {
    return { ...this.counters };
  }

  resetStats(): void {
    this.counters = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };
  }

  private enqueue(message: M, faults: LinkFaults, send: SendRecord): void {
    let delay = this.random.int(faults.minDelayMs, faults.maxDelayMs);
    if (this.random.chance(faults.reorderRate)) delay += this.random.int(0, faults.reorderExtraMs);
    this.schedule(message, delay, send);
  }

  private schedule(message: M, delay: number, send: SendRecord): void {
    const copy = this.copy(message);
    send.copies++;
    this.clock.schedule(delay, () => this.arrive(copy, send));
  }

  private arrive(message: M, send: SendRecord): void {
    send.copies--;
    const handler = this.handlers.get(message.to);
    if (handler === undefined) return this.drop(message, 'down', send);
    if (!this.canReach(message.from, message.to)) return this.drop(message, 'partition', send);
    this.counters.delivered++;
    handler(message);
    for (const fn of this.deliverObservers) fn(message);
    if (!send.done) {
      send.done = true;
      for (const fn of this.doneObservers) fn(message, true);
    }
  }

  private drop(message: M, reason: DropReason, send: SendRecord): void {
    this.counters.dropped++;
    for (const fn of this.dropObservers) fn(message, reason);
    if (!send.done && send.copies === 0) {
      send.done = true;
      for (const fn of this.doneObservers) fn(message, false);
    }
  }

  private faultsOf(from: string, to: string): LinkFaults {
    return this.linkFaults.get(linkKey(from, to)) ?? this.faults;
  }
}

/** Tracks the copies of one send, so its outcome is reported once. */
interface SendRecord {
  copies: number;
  done: boolean;
}

function linkKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}

function checkFaults(f: LinkFaults): LinkFaults {
  if (f.minDelayMs < 0 || f.maxDelayMs < f.minDelayMs) throw new RangeError(`bad delay range [${f.minDelayMs}, ${f.maxDelayMs}]`);
  for (const [name, p] of [['dropRate', f.dropRate], ['duplicateRate', f.duplicateRate], ['reorderRate', f.reorderRate]] as const) {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`${name} must be in [0, 1], got ${p}`);
  }
  if (f.reorderExtraMs < 0) throw new RangeError(`reorderExtraMs must be >= 0, got ${f.reorderExtraMs}`);
  return f;
}
