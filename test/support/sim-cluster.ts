import { defaultRaftConfig } from '../../cluster/raft/raft-core.ts';
import { message, type ConfState, type Entry, type Message, type NodeId, type RaftConfig } from '../../cluster/raft/types.ts';
import { InvariantChecker } from './invariant-checker.ts';
import { checkLinearizable, type KvOperation, type LinearizabilityResult } from './linearizability.ts';
import { Prng } from '../../gpu-agent/random/prng.ts';
import { DEFAULT_CLIENT_OPTIONS, SimClient, type ClientTransport, type SimClientOptions } from './sim-client.ts';
import { SimClock } from './sim-clock.ts';
import { SimNetwork, type LinkFaults } from './sim-network.ts';
import { SimNode } from './sim-node.ts';

export interface SimClusterOptions {
  seed: number;
  /** Bootstrap voters: a count (n1..nN) or explicit ids. */
  nodes: number | NodeId[];
  /** Simulated milliseconds per Raft tick. */
  tickMs: number;
  /** Link behaviour between nodes. */
  faults: Partial<LinkFaults>;
  /** Application snapshot (and log compaction) every this many applied entries; 0 turns it off. */
  snapshotEvery: number;
  /** Overrides of the core's defaults (id and random are always set per node). */
  raft: Partial<Omit<RaftConfig, 'id' | 'random'>>;
  /** How often Log Matching is checked across all stored logs (0: only when asked). */
  logCheckEveryMs: number;
  /** One-way latency between clients and nodes, uniform in this range. */
  clientLatencyMs: [number, number];
  /** Nodes answer reads from local state, skipping ReadIndex. Unsafe: only to show the checker catches it. */
  staleReads: boolean;
}

export const DEFAULT_SIM_OPTIONS: SimClusterOptions = {
  seed: 1,
  nodes: 3,
  tickMs: 10,
  faults: { minDelayMs: 1, maxDelayMs: 5 },
  snapshotEvery: 0,
  raft: {},
  logCheckEveryMs: 100,
  clientLatencyMs: [1, 3],
  staleReads: false,
};

/** What {@link SimCluster.verify} found. */
export interface VerifyResult {
  ok: boolean;
  problems: string[];
  linearizability: LinearizabilityResult;
}

/**
 * A whole Raft cluster in one deterministic simulation: {@link SimNode}s on a
 * {@link SimNetwork} under a {@link SimClock}, client workloads that record a history, and an
 * {@link InvariantChecker} that fails the run the moment a safety property breaks. Everything
 * random comes from the seed, so a failing seed replays exactly.
 */
export class SimCluster {
  readonly options: SimClusterOptions;
  readonly clock = new SimClock();
  readonly random: Prng;
  readonly network: SimNetwork<Message>;
  readonly invariants: InvariantChecker;
  readonly nodes = new Map<NodeId, SimNode>();
  readonly clients: SimClient[] = [];
  readonly bootstrap: ConfState;
  /** Nodes clients send requests to: every node added, until a test takes one out (after removing it). */
  readonly targets = new Set<NodeId>();

  constructor(options: Partial<SimClusterOptions> = {}) {
    this.options = { ...DEFAULT_SIM_OPTIONS, ...options };
    this.random = new Prng(this.options.seed);
    this.network = new SimNetwork<Message>(this.clock, this.random.fork(), this.options.faults, copyMessage);
    this.invariants = new InvariantChecker(() => this.clock.now());
    const ids = typeof this.options.nodes === 'number' ? Array.from({ length: this.options.nodes }, (_, i) => `n${i + 1}`) : this.options.nodes;
    this.bootstrap = { voters: [...ids], learners: [], addresses: Object.fromEntries(ids.map((id) => [id, addressOf(id)])) };
    // Like a streaming transport: a snapshot send is reported once, when it finished or failed.
    this.network.onSendDone((m, delivered) => {
      if (m.type === 'snap') this.nodes.get(m.from)?.report(message({ type: 'snapStatus', from: m.to, to: m.from, reject: !delivered }));
    });
    // A connection that cannot be made is noticed; a packet lost on the way is not.
    this.network.onDrop((m, reason) => {
      if (m.type !== 'snap' && (reason === 'partition' || reason === 'down')) {
        this.nodes.get(m.from)?.report(message({ type: 'unreachable', from: m.to, to: m.from }));
      }
    });
    for (const id of ids) this.addNode(id);
    if (this.options.logCheckEveryMs > 0) this.scheduleLogCheck();
  }

  /** Creates a node with empty storage and starts it. It joins the membership only through a conf change. */
  addNode(id: NodeId): SimNode {
    if (this.nodes.has(id)) throw new Error(`node ${id} exists`);
    const node = new SimNode(id, {
      send: (messages) => {
        for (const m of messages) this.network.send(m);
      },
      crashed: () => this.network.detach(id),
      invariants: this.invariants,
      config: (nodeId) => ({ ...defaultRaftConfig(nodeId, this.random.fork().asFunction()), ...this.options.raft }),
      bootstrap: this.bootstrap,
      snapshotEvery: this.options.snapshotEvery,
      staleReads: this.options.staleReads,
    });
    this.nodes.set(id, node);
    this.targets.add(id);
    this.start(node);
    return node;
  }

  /** The node with this id. */
  node(id: NodeId): SimNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  ids(): NodeId[] {
    return [...this.nodes.keys()];
  }

  /** Stops a node dead; with `tornWrite`, it dies halfway through writing its next Ready instead. */
  crash(id: NodeId, tornWrite?: number): void {
    const node = this.node(id);
    if (tornWrite !== undefined && node.isUp()) {
      node.tearNextWrite = tornWrite;
      return;
    }
    node.crash();
    this.network.detach(id);
  }

  /** Restarts a crashed node from its store. */
  restart(id: NodeId): void {
    const node = this.node(id);
    if (node.isUp()) throw new Error(`node ${id} is up`);
    this.start(node);
  }

  /** The up node that leads the highest term, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const node of this.nodes.values()) {
      if (!node.isUp() || node.currentRole() !== 'leader') continue;
      if (best === undefined || node.store.hardState.term > best.store.hardState.term) best = node;
    }
    return best;
  }

  /**
   * Runs until some node leads and every other up voter that can hear it follows it; throws
   * after `limitMs`. With `other`, waits for a leader other than that node (after a failover).
   */
  waitForLeader(limitMs = 5000, other?: NodeId): SimNode {
    const settled = (): boolean => {
      const leader = this.leader();
      if (leader === undefined || leader.id === other) return false;
      for (const node of this.nodes.values()) {
        if (node === leader || !node.isUp() || !this.network.canReach(leader.id, node.id)) continue;
        if (!leader.raft().status().conf.voters.includes(node.id)) continue;
        if (node.knownLeader() !== leader.id) return false;
      }
      return true;
    };
    if (!this.clock.runUntilTrue(settled, limitMs)) throw new Error(`no stable leader within ${limitMs} ms (at ${this.clock.now()} ms)`);
    return this.leader() as SimNode;
  }

  runFor(ms: number): void {
    this.clock.runFor(ms);
  }

  /** Runs until `done()` holds; returns false if `limitMs` passed first. */
  runUntil(done: () => boolean, limitMs: number): boolean {
    return this.clock.runUntilTrue(done, limitMs);
  }

  /** Proposes a raw command on the current leader (tests of replication that bypass clients). */
  propose(text: string): { index: number; term: number } {
    const leader = this.leader();
    if (leader === undefined) throw new Error('no leader');
    return leader.act((core) => core.propose(new TextEncoder().encode(text)));
  }

  /** Starts `count` clients doing `opsEach` operations each. */
  startClients(count: number, opsEach: number, options: Partial<SimClientOptions> = {}): SimClient[] {
    const started: SimClient[] = [];
    for (let i = 0; i < count; i++) {
      const client = new SimClient(`c${this.clients.length + 1}`, this.clock, this.random.fork(), this.clientTransport(), {
        ...DEFAULT_CLIENT_OPTIONS,
        ...options,
      });
      this.clients.push(client);
      client.run(opsEach);
      started.push(client);
    }
    return started;
  }

  /** Every client operation so far. */
  history(): KvOperation[] {
    return this.clients.flatMap((c) => c.history);
  }

  /**
   * Heals the network, restarts crashed nodes and runs until clients are idle and every up
   * member has applied the same index. Returns whether that happened within `limitMs`.
   */
  settle(limitMs = 10_000): boolean {
    this.network.heal();
    this.network.setFaults({ dropRate: 0, duplicateRate: 0, reorderRate: 0 });
    const members = new Set(this.members());
    for (const node of this.nodes.values()) {
      node.tearNextWrite = undefined;
      if (!node.isUp() && (this.targets.has(node.id) || members.has(node.id))) this.start(node);
    }
    return this.runUntil(() => this.clients.every((c) => c.idle()) && this.converged(), limitMs);
  }

  /** Voters and learners as the current leader sees them (the bootstrap voters while there is none). */
  members(): NodeId[] {
    const conf = this.leader()?.raft().status().conf ?? this.bootstrap;
    return [...conf.voters, ...conf.learners];
  }

  /** Whether there is a leader and every member is up and has applied its commit index. */
  converged(): boolean {
    const leader = this.leader();
    if (leader === undefined) return false;
    const commit = leader.raft().status().commit;
    for (const id of this.members()) {
      const node = this.nodes.get(id);
      if (node === undefined || !node.isUp() || node.applied !== commit) return false;
    }
    return true;
  }

  /** Checks Log Matching now over every stored log. */
  checkLogs(): void {
    this.invariants.checkLogs(new Map([...this.nodes].map(([id, node]) => [id, node.store])));
  }

  /** Final checks after {@link settle}: logs match, members' replicas agree, every operation got an answer, the history is linearizable. */
  verify(): VerifyResult {
    const problems: string[] = [];
    this.checkLogs();
    let reference: string | undefined;
    for (const id of this.members()) {
      const node = this.nodes.get(id);
      if (node === undefined || !node.isUp()) continue;
      const state = JSON.stringify(node.kv.entries());
      if (reference === undefined) reference = state;
      else if (state !== reference) problems.push(`replica ${id} has ${state}, another has ${reference}`);
    }
    const pending = this.history().filter((op) => op.ret === undefined).length;
    if (pending > 0) problems.push(`${pending} client operations never completed after the cluster healed`);
    const linearizability = checkLinearizable(this.history());
    if (!linearizability.ok) problems.push(`not linearizable:\n${linearizability.explanation}`);
    return { ok: problems.length === 0, problems, linearizability };
  }

  /**
   * Committed commands in a node's stored log after its snapshot (compacted ones are not
   * listed), with the leaders' empty entries left out.
   */
  committedCommands(id: NodeId): string[] {
    const node = this.node(id);
    const out: string[] = [];
    const commit = node.store.hardState.commit;
    node.store.entries.forEach((e: Entry) => {
      if (e.index <= commit && e.type === 'normal' && e.data.byteLength > 0) out.push(new TextDecoder().decode(e.data));
    });
    return out;
  }

  private start(node: SimNode): void {
    this.network.attach(node.id, (m) => node.receive(m));
    node.start();
    const incarnation = node.incarnation;
    const tick = (): void => {
      if (!node.isUp() || node.incarnation !== incarnation) return;
      node.tick();
      this.clock.schedule(this.options.tickMs, tick);
    };
    this.clock.schedule(this.random.int(1, this.options.tickMs), tick);
  }

  private scheduleLogCheck(): void {
    this.clock.schedule(this.options.logCheckEveryMs, () => {
      this.checkLogs();
      this.scheduleLogCheck();
    });
  }

  private clientTransport(): ClientTransport {
    const [lo, hi] = this.options.clientLatencyMs;
    const later = (fn: () => void): void => void this.clock.schedule(this.random.int(lo, hi), fn);
    const reachable = (id: NodeId): SimNode | undefined => {
      const node = this.nodes.get(id);
      return node?.isUp() ? node : undefined;
    };
    return {
      nodes: () => [...this.targets],
      put: (id, clientId, seq, key, value, reply) =>
        later(() => reachable(id)?.put({ clientId, seq, op: { type: 'put', key, value } }, (r) => later(() => reply(r)))),
      get: (id, key, reply) => later(() => reachable(id)?.get(key, (r) => later(() => reply(r)))),
    };
  }
}

function addressOf(id: NodeId): string {
  return `${id}.sim:7000`;
}

/** Copies the parts of a message a receiver could share with the sender. */
function copyMessage(m: Message): Message {
  return { ...m, entries: m.entries.slice() };
}
