import { applyAgentCommand } from './agent-commands.ts';
import { canonicalJson } from './canonical-json.ts';
import { checkCommand, proposalIdentitySchema, proposalSchema, type Command, type Proposal } from './commands.ts';
import { describeIssues } from './describe-issues.ts';
import { applyJobCommand } from './job-commands.ts';
import { applyKvCommand } from './kv-commands.ts';
import { applyMergeCommand } from './merge-commands.ts';
import { applyModelCommand } from './model-commands.ts';
import { parseQuery } from './queries.ts';
import { fail, ok } from './results.ts';
import { runQuery } from './run-query.ts';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.ts';
import { createStateData, stateParts, type ApplyContext, type StateData, type StateObserver } from './state-data.ts';
import type { AppliedResult } from './types.ts';

export type { Command, Proposal } from './commands.ts';
export type { Query } from './queries.ts';
export type { AppliedResult, ErrorCode } from './types.ts';
export type { StateObserver } from './state-data.ts';

/**
 * The replicated state machine: model versions, the subject registry, GPU agents, the job
 * queue, a small key-value map, and exactly-once client sessions.
 *
 * Every replica applies the same committed entries in the same order and ends in the same
 * state: apply reads no clock and no randomness (time is the leader's stamp in each entry, ids
 * derive from the entry's index), and every iteration follows insertion order or a sort.
 *
 * Exactly-once: each proposal carries (clientId, seq). A session remembers the highest applied
 * seq and its result; a retry of that seq gets the same result without applying again, an older
 * seq gets a `stale_sequence` refusal. At most {@link STATE_LIMITS.maxSessions} sessions are
 * kept, evicting the least recently used by entry timestamp.
 */
export class StateMachine {
  private readonly observer: StateObserver;
  private data: StateData;

  /** `observer` is told of changes on this replica only; an error it throws is ignored, so it cannot make replicas differ. */
  constructor(observer: StateObserver = {}) {
    const { jobEnded } = observer;
    this.observer =
      jobEnded === undefined
        ? {}
        : {
            jobEnded: (job) => {
              try {
                jobEnded.call(observer, job);
              } catch {
                // The observer only reports; the entry applies the same with or without it.
              }
            },
          };
    this.data = createStateData(undefined, this.observer);
  }

  /** Index of the last entry applied (or of the snapshot restored). */
  get appliedIndex(): number {
    return this.data.appliedIndex;
  }

  /** Id of the current model version, or null before the first one is registered. */
  get currentVersion(): string | null {
    return this.data.currentVersion;
  }

  /**
   * Applies one committed normal entry whose data is the JSON of a {@link Proposal}. Never throws:
   * a bad entry or a refused command yields a failure result (and a command that fails validation
   * is still recorded as its session's result). Empty data (the leader's no-op entry, or an entry
   * the driver handles itself, such as a membership change) only advances the applied index.
   * An index at or below the applied index is refused without any change.
   */
  apply(index: number, data: Uint8Array): AppliedResult {
    const state = this.data;
    if (!Number.isSafeInteger(index) || index <= state.appliedIndex) {
      return fail('failed_precondition', `entry ${index} is not after the applied index ${state.appliedIndex}; it was already applied`);
    }
    state.appliedIndex = index;
    if (data.length === 0) return ok(null);

    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
    } catch {
      return fail('invalid', `entry ${index} does not hold a JSON proposal; encode proposals with encodeProposal`);
    }
    const identity = proposalIdentitySchema.safeParse(json);
    if (!identity.success) return fail('invalid', describeIssues('proposal', identity.error));
    const { clientId, seq } = identity.data;

    const envelope = proposalSchema.safeParse(json);
    if (envelope.success) state.clock = Math.max(state.clock, envelope.data.at);

    const session = state.sessions.get(clientId);
    if (session && seq <= session.lastSeq) {
      state.sessions.touch(clientId, state.clock);
      if (seq === session.lastSeq) return JSON.parse(session.resultJson) as AppliedResult;
      return fail(
        'stale_sequence',
        `stale sequence number: client ${clientId} already applied seq ${session.lastSeq}, so seq ${seq} was not applied again; use a new, higher seq`,
      );
    }

    let result: AppliedResult;
    if (!envelope.success) {
      result = fail('invalid', describeIssues('proposal', envelope.error));
    } else {
      const checked = checkCommand(envelope.data.command);
      result = checked.ok ? this.dispatch(checked.command, { index, now: state.clock }) : fail('invalid', checked.message);
    }
    state.sessions.record(clientId, seq, state.clock, canonicalJson(result));
    return result;
  }

  /** Runs a JSON query against the current state; throws CommandRejectedError for a bad query or a missing record. */
  query(query: unknown): unknown {
    return runQuery(this.data, parseQuery(query));
  }

  /** Canonical encoding of all state, sessions and applied index included: equal state gives equal bytes. */
  snapshot(): Uint8Array {
    return encodeSnapshot(stateParts(this.data));
  }

  /** Replaces all state with a snapshot's; on a bad snapshot throws StorageError and keeps the current state. */
  restore(data: Uint8Array): void {
    this.data = createStateData(decodeSnapshot(data), this.observer);
  }

  private dispatch(command: Command, ctx: ApplyContext): AppliedResult {
    try {
      switch (command.type) {
        case 'createAgent':
        case 'revokeAgent':
        case 'agentHeartbeat':
        case 'setAgentStatus':
          return applyAgentCommand(this.data, command, ctx);
        case 'registerModelVersion':
        case 'rollbackModel':
        case 'reserveSubject':
        case 'updateSubject':
          return applyModelCommand(this.data, command, ctx);
        case 'startMerge':
        case 'commitMerge':
        case 'failMerge':
        case 'setMergeSettings':
          return applyMergeCommand(this.data, command, ctx);
        case 'submitJob':
        case 'leaseJob':
        case 'startJob':
        case 'reportProgress':
        case 'completeJob':
        case 'failJob':
        case 'releaseJob':
        case 'cancelJob':
        case 'expireLeases':
          return applyJobCommand(this.data, command, ctx);
        case 'put':
        case 'get':
          return applyKvCommand(this.data, command);
      }
    } catch (error) {
      // A bug must not stop every replica at the same entry forever; it is reported to the caller instead.
      return fail('failed_precondition', `internal error while applying ${command.type}: ${(error as Error).message}`);
    }
  }
}

/** Encodes a proposal as the JSON bytes of a normal log entry (the leader stamps `at`). */
export function encodeProposal(p: Proposal): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ clientId: p.clientId, seq: p.seq, at: p.at, command: p.command }));
}
