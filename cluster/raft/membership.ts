import type { ConfChange, ConfState, NodeId } from './types.ts';

/** Votes needed out of `voters`. */
export function quorum(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

export function isVoter(conf: ConfState, id: NodeId): boolean {
  return conf.voters.includes(id);
}

export function isMember(conf: ConfState, id: NodeId): boolean {
  return conf.voters.includes(id) || conf.learners.includes(id);
}

/** Returns why a single-server change is not allowed on `conf`, or '' when it is. */
export function validateConfChange(conf: ConfState, cc: ConfChange): string {
  switch (cc.type) {
    case 'addLearner':
      if (isMember(conf, cc.nodeId)) return `node ${cc.nodeId} is already a member; choose another id or remove it first`;
      if (!cc.address) return `adding node ${cc.nodeId} needs its address (host:port)`;
      for (const [id, address] of Object.entries(conf.addresses)) {
        if (address === cc.address && isMember(conf, id)) return `address ${cc.address} is already used by node ${id}`;
      }
      return '';
    case 'promote':
      if (isVoter(conf, cc.nodeId)) return `node ${cc.nodeId} is already a voter`;
      if (!conf.learners.includes(cc.nodeId)) return `node ${cc.nodeId} is not a learner; add it first`;
      return '';
    case 'remove':
      if (!isMember(conf, cc.nodeId)) return `node ${cc.nodeId} is not a member of the cluster`;
      if (isVoter(conf, cc.nodeId) && conf.voters.length === 1) return `node ${cc.nodeId} is the last voter and cannot be removed`;
      return '';
  }
}

/** The membership after `cc` (a new object; `conf` is not modified). Invalid changes leave it as it is. */
export function applyConfChange(conf: ConfState, cc: ConfChange): ConfState {
  const next: ConfState = { voters: [...conf.voters], learners: [...conf.learners], addresses: { ...conf.addresses } };
  if (validateConfChange(conf, cc)) return next;
  switch (cc.type) {
    case 'addLearner':
      next.learners.push(cc.nodeId);
      next.addresses[cc.nodeId] = cc.address!;
      break;
    case 'promote':
      next.learners = next.learners.filter((id) => id !== cc.nodeId);
      next.voters.push(cc.nodeId);
      break;
    case 'remove':
      next.voters = next.voters.filter((id) => id !== cc.nodeId);
      next.learners = next.learners.filter((id) => id !== cc.nodeId);
      delete next.addresses[cc.nodeId];
      break;
  }
  return next;
}

export function encodeConfChange(cc: ConfChange): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(cc));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  return JSON.parse(new TextDecoder().decode(data)) as ConfChange;
}
