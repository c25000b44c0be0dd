import { ConfChangeError, ProposalDroppedError } from '../../cluster/raft/errors.ts';
import type { ConfChange, NodeId } from '../../cluster/raft/types.ts';
import { Prng } from '../../gpu-agent/random/prng.ts';
import { SimCluster } from './sim-cluster.ts';

export interface FaultScheduleOptions {
  seed: number;
  /** Cluster size; by default 3 or 5, drawn from the seed. */
  nodes?: number;
  clients: number;
  opsPerClient: number;
  /** How long faults keep coming before the cluster is healed. */
  chaosMs: number;
  /** How long the healed cluster gets to finish every operation and converge. */
  settleMs: number;
  /** Reads skip ReadIndex (unsafe; to show that the checker notices). */
  staleReads?: boolean;
}

export const DEFAULT_FAULT_SCHEDULE: Omit<FaultScheduleOptions, 'seed'> = {
  clients: 5,
  opsPerClient: 30,
  chaosMs: 4000,
  settleMs: 15_000,
};

/** The outcome of one seed; `problems` is empty when every check passed. */
export interface FaultScheduleResult {
  seed: number;
  ok: boolean;
  nodes: number;
  operations: number;
  /** Operations that never got an answer. */
  pending: number;
  /** Every fault injected, with its simulated time, for replaying a failure by eye. */
  faults: string[];
  problems: string[];
  simulatedMs: number;
  /** Leaders elected, snapshots installed from a leader, crashes injected: how hard the run was. */
  stats: { elections: number; snapshotsInstalled: number; crashes: number };
}

/**
 * One randomized run: a 3- or 5-node cluster under concurrent clients while partitions, one-way
 * cuts, crashes (some mid-write), restarts, message drops, duplicates, reordering, leadership
 * transfers and membership changes come and go; then the network heals, every node restarts, and the run must settle
 * with every operation answered, replicas equal, invariants intact and a linearizable history.
 * A given seed always produces the same run.
 */
export function runFaultSchedule(options: Partial<FaultScheduleOptions> & { seed: number }): FaultScheduleResult {
  const opts = { ...DEFAULT_FAULT_SCHEDULE, ...options };
  const chaos = new Prng(opts.seed ^ 0x5bd1e995);
  const size = opts.nodes ?? chaos.pick([3, 5]);
  const faults: string[] = [];
  const problems: string[] = [];
  const cluster = new SimCluster({
    seed: opts.seed,
    nodes: size,
    snapshotEvery: chaos.pick([0, 4, 10]),
    faults: { minDelayMs: 1, maxDelayMs: chaos.int(2, 15) },
    staleReads: opts.staleReads ?? false,
  });
  try {
    cluster.startClients(opts.clients, opts.opsPerClient, { thinkMs: Math.ceil((2 * opts.chaosMs) / opts.opsPerClient) });
    const end = cluster.clock.now() + opts.chaosMs;
    while (cluster.clock.now() < end) {
      cluster.runFor(chaos.int(30, 300));
      const fault = injectFault(cluster, chaos, size);
      if (fault) faults.push(`${cluster.clock.now()}ms ${fault}`);
    }
    faults.push(`${cluster.clock.now()}ms heal and restart everything`);
    if (!cluster.settle(opts.settleMs)) problems.push(`did not settle within ${opts.settleMs} ms after healing`);
    const verdict = cluster.verify();
    problems.push(...verdict.problems);
  } catch (err) {
    problems.push(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
  }
  const history = cluster.history();
  return {
    seed: opts.seed,
    ok: problems.length === 0,
    nodes: size,
    operations: history.length,
    pending: history.filter((op) => op.ret === undefined).length,
    faults,
    problems,
    simulatedMs: cluster.clock.now(),
    stats: {
      elections: cluster.invariants.elections,
      snapshotsInstalled: cluster.invariants.snapshotsInstalled,
      crashes: faults.filter((f) => f.includes(' crash ')).length,
    },
  };
}

function injectFault(cluster: SimCluster, random: Prng, size: number): string {
  const ids = cluster.ids();
  const up = ids.filter((id) => cluster.node(id).isUp());
  const down = ids.filter((id) => !cluster.node(id).isUp());
  const leader = cluster.leader();
  const someone = (): NodeId => (leader !== undefined && random.chance(0.5) ? leader.id : random.pick(ids));
  switch (random.int(0, 10)) {
    case 0: {
      const shuffled = random.shuffle(ids);
      const cut = random.int(1, size - 1);
      const a = shuffled.slice(0, cut);
      const b = shuffled.slice(cut);
      cluster.network.partition(a, b);
      return `partition [${a.join(',')}] | [${b.join(',')}]`;
    }
    case 1: {
      const id = someone();
      cluster.network.isolate(id);
      return `isolate ${id}`;
    }
    case 2: {
      const from = someone();
      const to = random.pick(ids.filter((id) => id !== from));
      cluster.network.cut(from, to);
      return `cut ${from} -> ${to}`;
    }
    case 3:
    case 4: {
      if (up.length === 0) return '';
      const id = leader !== undefined && random.chance(0.4) ? leader.id : random.pick(up);
      const torn = random.chance(0.3) ? random.int(0, 2) : undefined;
      cluster.crash(id, torn);
      return torn === undefined ? `crash ${id}` : `crash ${id} while writing (keeps ${torn} new entries)`;
    }
    case 5:
    case 6: {
      if (down.length === 0) return '';
      const id = random.pick(down);
      cluster.restart(id);
      return `restart ${id}`;
    }
    case 7:
      cluster.network.heal();
      return 'heal partitions';
    case 8: {
      const faults = {
        dropRate: random.pick([0, 0.05, 0.2]),
        duplicateRate: random.pick([0, 0.05, 0.2]),
        reorderRate: random.pick([0, 0.1, 0.3]),
        reorderExtraMs: random.int(5, 60),
        maxDelayMs: random.int(2, 25),
      };
      cluster.network.setFaults(faults);
      return `links drop ${faults.dropRate} dup ${faults.duplicateRate} reorder ${faults.reorderRate} delay <= ${faults.maxDelayMs}`;
    }
    case 9: {
      if (leader === undefined) return '';
      const voters = leader.raft().status().conf.voters.filter((id) => id !== leader.id);
      if (voters.length === 0) return '';
      const to = random.pick(voters);
      leader.act((core) => core.transferLeadership(to));
      return `transfer leadership ${leader.id} -> ${to}`;
    }
    default:
      return changeMembership(cluster, random, size);
  }
}

/**
 * Proposes one single-server change on the leader: add a fresh node as learner, promote a
 * learner, or remove a voter (never below three) or a learner. Refused proposals are skipped.
 */
function changeMembership(cluster: SimCluster, random: Prng, size: number): string {
  const leader = cluster.leader();
  if (leader === undefined) return '';
  const conf = leader.raft().status().conf;
  const choices: ConfChange[] = [];
  if (cluster.ids().length < size + 3) {
    const id = `n${cluster.ids().length + 1}`;
    choices.push({ type: 'addLearner', nodeId: id, address: `${id}.sim:7000` });
  }
  for (const id of conf.learners) choices.push({ type: 'promote', nodeId: id }, { type: 'promote', nodeId: id }, { type: 'remove', nodeId: id });
  if (conf.voters.length > 3) for (const id of conf.voters) choices.push({ type: 'remove', nodeId: id });
  if (choices.length === 0) return '';
  const cc = random.pick(choices);
  if (cc.type === 'addLearner') cluster.addNode(cc.nodeId);
  try {
    leader.act((core) => core.proposeConfChange(cc));
  } catch (err) {
    // Refused (another change pending, learner behind, transfer under way): the schedule moves on.
    if (err instanceof ConfChangeError || err instanceof ProposalDroppedError) return '';
    throw err;
  }
  return `propose ${cc.type} ${cc.nodeId}`;
}

/** One line per failing seed, with the faults that led there, for a person replaying it. */
export function describeFailure(result: FaultScheduleResult): string {
  return [
    `seed ${result.seed} (${result.nodes} nodes, ${result.operations} ops, ${result.pending} unanswered) FAILED:`,
    ...result.problems.map((p) => `  ${p.replace(/\n/g, '\n  ')}`),
    '  faults:',
    ...result.faults.map((f) => `    ${f}`),
  ].join('\n');
}
