/**
 * Linearizability checker for a key-value store whose operations are
 * `put(key, value) -> previous value` and `get(key) -> value`, with `null` for an absent key.
 *
 * The search is the Wing & Gong algorithm with Lowe's memoisation, as porcupine implements it:
 * call and return events sorted by time in a linked list; an operation whose call is next
 * may be linearized (removed with its return) if the model accepts it, and the search backs
 * up when it meets the return of an operation that was not linearized. A cache of
 * (linearized set, state) pairs prunes states already explored. Keys are independent
 * registers, so the history is split by key and each part is checked alone.
 *
 * An operation that never returned (a timeout, a client that gave up) may or may not have
 * taken effect: it gets an infinite return time and any output. A pending get cannot change
 * anything and is dropped.
 */

/** What a client asked for. */
export type KvInput = { kind: 'put'; key: string; value: string } | { kind: 'get'; key: string };

/** One client operation with its real-time interval. */
export interface KvOperation {
  clientId: string;
  input: KvInput;
  /** put: the previous value; get: the value read; null means absent. Undefined when it never returned. */
  output?: string | null;
  /** Time the client invoked it (first attempt). */
  call: number;
  /** Time the client got its answer; undefined when it never did. */
  ret?: number;
}

/** The verdict. On failure, `history` is a small failing sub-history of one key and `explanation` prints it. */
export type LinearizabilityResult =
  | { ok: true }
  | { ok: false; key: string; explanation: string; history: KvOperation[] };

export interface CheckOptions {
  /** Upper bound on full checks spent shrinking a failing history (default 3000). */
  shrinkBudget?: number;
}

/** Checks a whole history, key by key. */
export function checkLinearizable(history: readonly KvOperation[], options: CheckOptions = {}): LinearizabilityResult {
  const byKey = new Map<string, KvOperation[]>();
  for (const op of history) {
    if (op.ret !== undefined && op.output === undefined) throw new Error(`operation ${describe(op)} returned without an output`);
    if (op.ret !== undefined && op.ret < op.call) throw new Error(`operation ${describe(op)} returned before it was called`);
    const list = byKey.get(op.input.key);
    if (list === undefined) byKey.set(op.input.key, [op]);
    else list.push(op);
  }
  for (const key of [...byKey.keys()].sort()) {
    const ops = byKey.get(key) as KvOperation[];
    if (searchRegister(ops).ok) continue;
    const minimal = shrink(ops, options.shrinkBudget ?? 3000);
    return { ok: false, key, history: minimal, explanation: explain(key, minimal, ops.length) };
  }
  return { ok: true };
}

/** Whether the operations of one key form a linearizable register history. */
export function isLinearizableRegister(ops: readonly KvOperation[]): boolean {
  return searchRegister(ops).ok;
}

interface SearchResult {
  ok: boolean;
  /** The operations (indexes into the reduced list) of the longest partial linearization found. */
  longest: number[];
  ops: KvOperation[];
}

/** Removes operations that cannot matter: pending gets, and pending puts whose value nobody observed. */
function reduce(ops: readonly KvOperation[]): KvOperation[] {
  const observed = new Set<string>();
  for (const op of ops) if (op.ret !== undefined && typeof op.output === 'string') observed.add(op.output);
  return ops.filter((op) => {
    if (op.ret !== undefined) return true;
    // A pending put nobody observed can always be placed where its value is overwritten unseen, or last.
    return op.input.kind === 'put' && observed.has(op.input.value);
  });
}

function searchRegister(input: readonly KvOperation[]): SearchResult {
  const ops = reduce(input);
  const n = ops.length;
  // Event nodes: 0 is the head sentinel; op i has call node 1 + 2i and return node 2 + 2i.
  const order: number[] = [];
  for (let i = 0; i < n; i++) order.push(1 + 2 * i, 2 + 2 * i);
  const timeOf = (node: number): number => {
    const op = ops[(node - 1) >> 1] as KvOperation;
    return node % 2 === 1 ? op.call : (op.ret ?? Number.POSITIVE_INFINITY);
  };
  // Calls sort before returns at the same instant: touching intervals count as concurrent.
  order.sort((a, b) => timeOf(a) - timeOf(b) || (b % 2) - (a % 2) || a - b);
  const next = new Int32Array(2 * n + 1).fill(-1);
  const prev = new Int32Array(2 * n + 1).fill(-1);
  let last = 0;
  for (const node of order) {
    next[last] = node;
    prev[node] = last;
    last = node;
  }
  const lift = (call: number): void => {
    next[prev[call] as number] = next[call] as number;
    if ((next[call] as number) >= 0) prev[next[call] as number] = prev[call] as number;
    const ret = call + 1;
    next[prev[ret] as number] = next[ret] as number;
    if ((next[ret] as number) >= 0) prev[next[ret] as number] = prev[ret] as number;
  };
  const unlift = (call: number): void => {
    const ret = call + 1;
    next[prev[ret] as number] = ret;
    if ((next[ret] as number) >= 0) prev[next[ret] as number] = ret;
    next[prev[call] as number] = call;
    if ((next[call] as number) >= 0) prev[next[call] as number] = call;
  };

  const cache = new Set<string>();
  const stack: Array<{ call: number; state: string | null }> = [];
  let linearized = 0n;
  let state: string | null = null;
  let longest: number[] = [];
  let node = next[0] as number;
  while ((next[0] as number) >= 0) {
    if (node % 2 === 1) {
      const i = (node - 1) >> 1;
      const op = ops[i] as KvOperation;
      const step = apply(state, op);
      if (step.ok) {
        const lin = linearized | (1n << BigInt(i));
        const key = `${lin.toString(36)}|${step.state === null ? '-' : `+${step.state}`}`;
        if (!cache.has(key)) {
          cache.add(key);
          stack.push({ call: node, state });
          state = step.state;
          linearized = lin;
          lift(node);
          if (stack.length > longest.length) longest = stack.map((s) => (s.call - 1) >> 1);
          node = next[0] as number;
          continue;
        }
      }
      node = next[node] as number;
    } else {
      // The return of an operation not yet linearized: this branch is dead, back up.
      const top = stack.pop();
      if (top === undefined) return { ok: false, longest, ops };
      state = top.state;
      linearized &= ~(1n << BigInt((top.call - 1) >> 1));
      unlift(top.call);
      node = next[top.call] as number;
    }
  }
  return { ok: true, longest, ops };
}

function apply(state: string | null, op: KvOperation): { ok: boolean; state: string | null } {
  if (op.input.kind === 'get') return { ok: op.output === state, state };
  const pending = op.ret === undefined;
  return { ok: pending || op.output === state, state: op.input.value };
}

/**
 * Shrinks a failing history by relaxing operations while it keeps failing. Relaxing a get
 * removes it; relaxing a put makes it pending (it may or may not have happened, any output).
 * Each relaxation only adds possible linearizations, so whatever still fails is a genuine
 * witness that the original history fails.
 */
function shrink(ops: readonly KvOperation[], budget: number): KvOperation[] {
  let current = reduce(ops);
  let checks = 0;
  const relax = (list: KvOperation[], from: number, to: number): KvOperation[] => {
    const out: KvOperation[] = [];
    list.forEach((op, i) => {
      if (i < from || i >= to || op.ret === undefined) out.push(op);
      else if (op.input.kind === 'put') out.push({ clientId: op.clientId, input: op.input, call: op.call });
    });
    return reduce(out);
  };
  let size = Math.max(1, current.length >> 1);
  for (;;) {
    let changed = false;
    for (let from = 0; from < current.length && checks < budget; ) {
      const candidate = relax(current, from, from + size);
      if (candidate.length === current.length && candidate.every((op, i) => op === current[i])) {
        from += size;
        continue;
      }
      checks++;
      if (!searchRegister(candidate).ok) {
        current = candidate;
        changed = true;
      } else {
        from += size;
      }
    }
    if (checks >= budget) break;
    if (size === 1 && !changed) break;
    if (!changed) size = Math.max(1, size >> 1);
  }
  return current;
}

function explain(key: string, ops: KvOperation[], originalCount: number): string {
  const result = searchRegister(ops);
  const sorted = [...result.ops].sort((a, b) => a.call - b.call || (a.ret ?? Infinity) - (b.ret ?? Infinity));
  const lines = [
    `key ${JSON.stringify(key)}: these ${sorted.length} operations (shrunk from ${originalCount}) have no linearization:`,
    ...sorted.map((op) => `  ${describe(op)}`),
  ];
  const order = result.longest.map((i) => describeShort(result.ops[i] as KvOperation));
  lines.push(
    order.length === 0
      ? '  no operation can go first.'
      : `  longest valid order: ${order.join(', ')}; no remaining operation can follow it.`,
  );
  return lines.join('\n');
}

function describeShort(op: KvOperation): string {
  const call = op.input.kind === 'put' ? `put(${JSON.stringify(op.input.value)})` : 'get()';
  if (op.ret === undefined) return `${call} (pending)`;
  return `${call} -> ${JSON.stringify(op.output)}`;
}

/** One readable line for an operation: client, call, result and interval. */
export function describe(op: KvOperation): string {
  const call =
    op.input.kind === 'put'
      ? `put(${JSON.stringify(op.input.key)}, ${JSON.stringify(op.input.value)})`
      : `get(${JSON.stringify(op.input.key)})`;
  const result = op.ret === undefined ? 'no response (may or may not have happened)' : `-> ${JSON.stringify(op.output)}`;
  const span = `[${op.call}, ${op.ret ?? '...'}]`;
  return `${op.clientId.padEnd(4)} ${span.padEnd(14)} ${call} ${result}`;
}
