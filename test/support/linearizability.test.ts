import { describe, expect, it } from 'vitest';
import { checkLinearizable, isLinearizableRegister, type KvOperation } from './linearizability.ts';
import { Prng } from '../../gpu-agent/random/prng.ts';

const put = (clientId: string, key: string, value: string, output: string | null | undefined, call: number, ret?: number): KvOperation => ({
  clientId,
  input: { kind: 'put', key, value },
  output,
  call,
  ret,
});
const get = (clientId: string, key: string, output: string | null | undefined, call: number, ret?: number): KvOperation => ({
  clientId,
  input: { kind: 'get', key },
  output,
  call,
  ret,
});

describe('checkLinearizable', () => {
  it('accepts an empty history and a sequential one', () => {
    expect(checkLinearizable([])).toEqual({ ok: true });
    expect(
      checkLinearizable([put('c1', 'k', 'a', null, 0, 1), get('c1', 'k', 'a', 2, 3), put('c1', 'k', 'b', 'a', 4, 5), get('c1', 'k', 'b', 6, 7)]),
    ).toEqual({ ok: true });
  });

  it('accepts a read concurrent with a write that sees either value', () => {
    const w = put('c1', 'k', 'a', null, 0, 10);
    expect(checkLinearizable([w, get('c2', 'k', null, 2, 8)]).ok).toBe(true);
    expect(checkLinearizable([w, get('c2', 'k', 'a', 2, 8)]).ok).toBe(true);
    // Two concurrent reads may not disagree in an order the write cannot explain...
    expect(checkLinearizable([w, get('c2', 'k', 'a', 1, 3), get('c3', 'k', null, 4, 6)]).ok).toBe(false);
    // ...but in the other order they are fine.
    expect(checkLinearizable([w, get('c2', 'k', null, 1, 3), get('c3', 'k', 'a', 4, 6)]).ok).toBe(true);
  });

  it('rejects a stale read after a completed write', () => {
    const result = checkLinearizable([put('c1', 'k', 'a', null, 0, 10), get('c2', 'k', null, 20, 30)]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.key).toBe('k');
    expect(result.explanation).toContain('get("k") -> null');
    expect(result.explanation).toContain('put("k", "a") -> null');
  });

  it('rejects a lost write (acknowledged, then gone)', () => {
    const history = [put('c1', 'k', 'a', null, 0, 10), put('c2', 'k', 'b', 'a', 20, 30), get('c3', 'k', 'a', 40, 50)];
    expect(checkLinearizable(history).ok).toBe(false);
    // The second put reporting no previous value also reveals the first was lost.
    expect(checkLinearizable([put('c1', 'k', 'a', null, 0, 10), put('c2', 'k', 'b', null, 20, 30)]).ok).toBe(false);
  });

  it('accepts a pending write that takes effect later, or never', () => {
    const pending = put('c1', 'k', 'a', undefined, 0);
    expect(checkLinearizable([pending, get('c2', 'k', null, 100, 110), get('c2', 'k', 'a', 200, 210)]).ok).toBe(true);
    expect(checkLinearizable([pending, get('c2', 'k', null, 100, 110), get('c2', 'k', null, 200, 210)]).ok).toBe(true);
    // Once seen, it cannot be unseen.
    expect(checkLinearizable([pending, get('c2', 'k', 'a', 100, 110), get('c2', 'k', null, 200, 210)]).ok).toBe(false);
  });

  it('rejects a value seen before the write that produced it was called', () => {
    expect(checkLinearizable([get('c2', 'k', 'a', 0, 5), put('c1', 'k', 'a', undefined, 10)]).ok).toBe(false);
    expect(checkLinearizable([get('c2', 'k', 'ghost', 0, 5)]).ok).toBe(false);
  });

  it('checks keys independently and names the failing key', () => {
    const history = [
      put('c1', 'x', '1', null, 0, 10),
      put('c2', 'y', '1', null, 0, 10),
      get('c1', 'x', '1', 20, 30),
      get('c2', 'y', null, 20, 30),
    ];
    const result = checkLinearizable(history);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.key).toBe('y');
  });

  it('shrinks a long failing history to the few operations that conflict', () => {
    const history: KvOperation[] = [];
    let prev: string | null = null;
    for (let i = 0; i < 60; i++) {
      history.push(put('c1', 'k', `v${i}`, prev, i * 10, i * 10 + 5));
      prev = `v${i}`;
      history.push(get('c2', 'k', prev, i * 10 + 6, i * 10 + 8));
    }
    history.push(get('c3', 'k', 'v10', 700, 710)); // stale: v59 was written long before
    const result = checkLinearizable(history);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.history.length).toBeLessThanOrEqual(4);
    expect(result.history.some((op) => op.clientId === 'c3')).toBe(true);
    expect(result.explanation.split('\n').length).toBeLessThan(10);
  });

  it('accepts large concurrent histories built from an atomic register', () => {
    const random = new Prng(7);
    for (let round = 0; round < 5; round++) {
      const history = atomicHistory(random, 400, 3);
      expect(checkLinearizable(history)).toEqual({ ok: true });
      // Corrupting one completed read makes it fail (the value read was never written).
      const i = history.findIndex((op) => op.input.kind === 'get' && op.ret !== undefined);
      const broken = history.map((op, j) => (j === i ? { ...op, output: 'never-written' } : op));
      expect(checkLinearizable(broken).ok).toBe(false);
    }
  });

  it('refuses malformed operations', () => {
    expect(() => checkLinearizable([get('c1', 'k', undefined, 0, 5)])).toThrow(/without an output/);
    expect(() => checkLinearizable([get('c1', 'k', null, 5, 1)])).toThrow(/before it was called/);
  });

  it('isLinearizableRegister agrees on a single key', () => {
    expect(isLinearizableRegister([put('c1', 'k', 'a', null, 0, 1), get('c2', 'k', 'a', 2, 3)])).toBe(true);
    expect(isLinearizableRegister([put('c1', 'k', 'a', null, 0, 1), get('c2', 'k', null, 2, 3)])).toBe(false);
  });
});

/**
 * A history where every operation takes effect at a random point inside its interval, on a
 * real atomic register, so it is linearizable by construction. Some puts never return.
 */
function atomicHistory(random: Prng, count: number, keys: number): KvOperation[] {
  const ops = Array.from({ length: count }, (_, i) => {
    const point = random.int(0, count * 5) + i / count; // distinct effect times
    const call = point - random.int(0, 40);
    const ret = point + random.int(0, 40);
    const key = `k${random.int(1, keys)}`;
    const isPut = random.chance(0.5);
    return { point, call, ret, key, isPut, value: `v${i}`, pending: isPut && random.chance(0.05) };
  });
  const state = new Map<string, string>();
  const history: KvOperation[] = [];
  for (const op of [...ops].sort((a, b) => a.point - b.point)) {
    const before = state.get(op.key) ?? null;
    if (op.isPut) {
      state.set(op.key, op.value);
      history.push(op.pending ? put('c', op.key, op.value, undefined, op.call) : put('c', op.key, op.value, before, op.call, op.ret));
    } else {
      history.push(get('c', op.key, before, op.call, op.ret));
    }
  }
  return random.shuffle(history);
}
