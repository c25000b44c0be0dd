import type { ConfState } from '../cluster/raft/types.ts';
import { hostPortProblem, NODE_ID_PATTERN, NODE_ID_RULE } from '../config/address.ts';
import { UsageError } from './usage-error.ts';

/** Checks a `--id` value. @throws UsageError naming the flag and the rule. */
export function checkNodeIdFlag(id: string): string {
  if (!NODE_ID_PATTERN.test(id)) throw new UsageError(`--id must be ${NODE_ID_RULE} (got ${JSON.stringify(id)})`);
  return id;
}

/** Checks a `--address` value. @throws UsageError naming the flag and the expected form. */
export function checkAddressFlag(address: string): string {
  const problem = hostPortProblem(address);
  if (problem !== undefined) throw new UsageError(`--address ${problem}`);
  return address;
}

/** Membership as text: voters and learners with their addresses. */
export function describeMembership(conf: ConfState): string {
  const member = (id: string): string => `${id} (${conf.addresses[id] ?? 'address unknown'})`;
  const voters = conf.voters.length === 0 ? 'none' : conf.voters.map(member).join(', ');
  const learners = conf.learners.length === 0 ? 'none' : conf.learners.map(member).join(', ');
  return `voters: ${voters}\nlearners: ${learners}\n`;
}

/** The `--peers` value listing every member of `conf`. */
export function peersFlag(conf: ConfState): string {
  return [...conf.voters, ...conf.learners].map((id) => `${id}=${conf.addresses[id] ?? ''}`).join(',');
}
