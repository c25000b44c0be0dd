/**
 * The replicated state machine of the simulations: a string key-value map with exactly-once
 * client commands. A command carries (clientId, seq); a seq at or below the client's last
 * applied one is a retry and gets the remembered result instead of applying again.
 */

/** A write as it travels in a log entry. */
export interface KvCommand {
  clientId: string;
  seq: number;
  op: { type: 'put'; key: string; value: string };
}

/** The outcome of applying one command: the previous value of the key (null when absent). */
export interface KvApplyResult {
  clientId: string;
  seq: number;
  previous: string | null;
  /** True when the command was a retry of one already applied. */
  duplicate: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommand(command: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(command));
}

/** The command in an entry, or undefined when the entry carries something else (a test's raw payload). */
export function decodeCommand(data: Uint8Array): KvCommand | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
  const c = parsed as Partial<KvCommand> | null;
  if (c === null || typeof c !== 'object' || typeof c.clientId !== 'string' || typeof c.seq !== 'number' || c.op?.type !== 'put') return undefined;
  return c as KvCommand;
}

/** Deterministic key-value store with per-client deduplication and a fingerprint of everything applied. */
export class KvStateMachine {
  private data = new Map<string, string>();
  private sessions = new Map<string, { seq: number; previous: string | null }>();
  /** Rolling hash of the applied command sequence; equal fingerprints mean equal histories. */
  private print = 0x811c9dc5;

  /** Applies a command decoded from a committed entry. */
  apply(command: KvCommand): KvApplyResult {
    const session = this.sessions.get(command.clientId);
    if (session !== undefined && command.seq <= session.seq) {
      // A retry: answer the last command again; anything older nobody waits for any more.
      return { clientId: command.clientId, seq: command.seq, previous: command.seq === session.seq ? session.previous : null, duplicate: true };
    }
    const previous = this.data.get(command.op.key) ?? null;
    this.data.set(command.op.key, command.op.value);
    this.sessions.set(command.clientId, { seq: command.seq, previous });
    this.mix(`${command.clientId}/${command.seq}/${command.op.key}=${command.op.value}`);
    return { clientId: command.clientId, seq: command.seq, previous, duplicate: false };
  }

  get(key: string): string | null {
    return this.data.get(key) ?? null;
  }

  /** A fingerprint of every command applied so far (not of duplicates, which change nothing). */
  fingerprint(): number {
    return this.print;
  }

  /** Key-value pairs, sorted, for comparing replicas. */
  entries(): Array<[string, string]> {
    return [...this.data.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify({ data: [...this.data], sessions: [...this.sessions], print: this.print }));
  }

  /** Replaces the whole state with a snapshot's. */
  restore(bytes: Uint8Array): void {
    const parsed = JSON.parse(decoder.decode(bytes)) as {
      data: Array<[string, string]>;
      sessions: Array<[string, { seq: number; previous: string | null }]>;
      print: number;
    };
    this.data = new Map(parsed.data);
    this.sessions = new Map(parsed.sessions);
    this.print = parsed.print;
  }

  private mix(text: string): void {
    let h = this.print;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    this.print = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  }
}
