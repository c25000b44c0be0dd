/**
 * Soak test of the Raft core: runs the randomized fault schedule of the simulation suite for
 * many seeds and prints every failing seed with what went wrong and the faults that led there.
 *
 *   npm run lincheck -- [SEEDS=2000] [START=1] [--nodes 3|5] [--ops N] [--clients N]
 *
 * A failure replays exactly: `npm run lincheck -- 1 SEED`. Exits 1 when any seed fails.
 */
import { parseArgs } from 'node:util';
import { describeFailure, runFaultSchedule, DEFAULT_FAULT_SCHEDULE } from '../test/support/fault-schedule.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    nodes: { type: 'string' },
    ops: { type: 'string' },
    clients: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log('usage: lincheck-soak [SEEDS=2000] [START=1] [--nodes 3|5] [--ops OPS_PER_CLIENT] [--clients N]');
  process.exit(0);
}

const count = positiveInt(positionals[0] ?? '2000', 'SEEDS');
const start = positiveInt(positionals[1] ?? '1', 'START');
const nodes = values.nodes === undefined ? undefined : positiveInt(values.nodes, '--nodes');
const opsPerClient = values.ops === undefined ? DEFAULT_FAULT_SCHEDULE.opsPerClient : positiveInt(values.ops, '--ops');
const clients = values.clients === undefined ? DEFAULT_FAULT_SCHEDULE.clients : positiveInt(values.clients, '--clients');

const began = Date.now();
let failures = 0;
let operations = 0;
let elections = 0;
let snapshots = 0;
for (let seed = start; seed < start + count; seed++) {
  const result = runFaultSchedule({ seed, nodes, opsPerClient, clients });
  operations += result.operations;
  elections += result.stats.elections;
  snapshots += result.stats.snapshotsInstalled;
  if (!result.ok) {
    failures++;
    console.log(describeFailure(result));
  }
  const done = seed - start + 1;
  if (done % 500 === 0 && done < count) console.error(`... ${done}/${count} seeds, ${failures} failing`);
}
const seconds = ((Date.now() - began) / 1000).toFixed(1);
console.log(
  `lincheck: ${count} seeds from ${start}, ${operations} client ops, ${elections} elections, ${snapshots} snapshot installs, ` +
    `${failures} failing, ${seconds} s`,
);
process.exitCode = failures > 0 ? 1 : 0;

function positiveInt(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
}
