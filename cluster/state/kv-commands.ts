import type { CommandOf } from './commands.ts';
import { ok } from './results.ts';
import type { StateData } from './state-data.ts';
import type { AppliedResult } from './types.ts';

/** The commands handled here. */
export type KvCommand = CommandOf<'put' | 'get'>;

/**
 * Applies a command on the small generic key-value map (used by linearizability tests).
 * `put` returns `{ previous }`, `get` returns `{ value }`; both are null for a missing key.
 */
export function applyKvCommand(data: StateData, command: KvCommand): AppliedResult {
  const current = data.kv.has(command.key) ? structuredClone(data.kv.get(command.key)) : null;
  if (command.type === 'put') {
    data.kv.set(command.key, structuredClone(command.value));
    return ok({ previous: current });
  }
  return ok({ value: current });
}
