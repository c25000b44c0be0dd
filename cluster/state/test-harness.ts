import { createHash } from 'node:crypto';
import { StateMachine } from './state-machine.ts';
import type { AgentCapabilities, AppliedResult, ErrorCode } from './types.ts';

/**
 * Test helper: drives a {@link StateMachine} the way the Raft driver does, one committed entry at
 * a time with increasing indexes, a leader clock the test advances by hand, and one session
 * per client whose seq increases by one per command.
 */
export class StateHarness {
  readonly machine = new StateMachine();
  /** Index of the last entry handed to the machine. */
  index = 0;
  /** Leader wall time stamped into the next entry. */
  now = 1_700_000_000_000;
  private readonly seqs = new Map<string, number>();

  /** Applies `command` as the next entry from `clientId` (default `c1`) with that client's next seq, unless `seq` is given. */
  run(command: unknown, options: { clientId?: string; seq?: number; at?: number } = {}): AppliedResult {
    const clientId = options.clientId ?? 'c1';
    const seq = options.seq ?? (this.seqs.get(clientId) ?? 0) + 1;
    this.seqs.set(clientId, Math.max(seq, this.seqs.get(clientId) ?? 0));
    return this.applyRaw({ clientId, seq, at: options.at ?? this.now, command });
  }

  /** Applies any JSON value as the next entry's data. */
  applyRaw(proposal: unknown): AppliedResult {
    this.index += 1;
    return this.machine.apply(this.index, new TextEncoder().encode(JSON.stringify(proposal)));
  }

  /** Runs a command that must succeed and returns its value. */
  ok<T = Record<string, unknown>>(command: unknown, options?: { clientId?: string }): T {
    const result = this.run(command, options);
    if (!result.ok) throw new Error(`expected ${JSON.stringify(command)} to succeed, got ${result.error.code}: ${result.error.message}`);
    return result.value as T;
  }

  /** Runs a command that must be refused and returns the refusal. */
  refused(command: unknown, options?: { clientId?: string }): { code: ErrorCode; message: string } {
    const result = this.run(command, options);
    if (result.ok) throw new Error(`expected ${JSON.stringify(command)} to be refused, got ${JSON.stringify(result.value)}`);
    return result.error;
  }

  query<T = Record<string, unknown>>(query: unknown): T {
    return this.machine.query(query) as T;
  }

  /**
   * Registers an agent named `name` and returns its id. It reports `capabilities` over a default
   * CPU agent that makes 512-pixel images and cannot train; null leaves it without any report.
   */
  agent(name: string, capabilities: Partial<AgentCapabilities> | null = {}): string {
    const agent = this.ok<{ id: string }>({ type: 'createAgent', name, owner: 'owner-1', tokenHash: tokenHashOf(`token-${name}`) });
    if (capabilities) {
      this.ok({ type: 'agentHeartbeat', agentId: agent.id, capabilities: { provider: 'cpu', memoryMb: 8192, maxImageSize: 512, canTrain: false, ...capabilities } });
    }
    return agent.id;
  }
}

/** The sha-256 hex of a token, as clients put it into createAgent. */
export function tokenHashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
