import { describe, expect, it } from 'vitest';
import { Prng } from '../../gpu-agent/random/prng.ts';
import { SimClock } from './sim-clock.ts';
import { SimNetwork, type LinkFaults } from './sim-network.ts';

interface Msg {
  from: string;
  to: string;
  n: number;
}

function setup(seed: number, faults: Partial<LinkFaults> = {}) {
  const clock = new SimClock();
  const net = new SimNetwork<Msg>(clock, new Prng(seed), faults);
  const received: Array<{ at: number; msg: Msg }> = [];
  for (const node of ['a', 'b', 'c']) net.attach(node, (msg) => received.push({ at: clock.now(), msg }));
  return { clock, net, received };
}

describe('Prng', () => {
  it('repeats its sequence for a seed and differs across seeds', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const seqA = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(seqA);
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(seqA);
  });

  it('stays in range and covers it roughly evenly', () => {
    const random = new Prng(1);
    const counts = [0, 0, 0, 0, 0, 0];
    let outOfRange = 0;
    for (let i = 0; i < 60_000; i++) {
      const v = random.int(0, 5);
      counts[v] = (counts[v] as number) + 1;
      const f = random.next();
      if (!(f >= 0 && f < 1)) outOfRange++;
    }
    expect(outOfRange).toBe(0);
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });
});

describe('SimClock', () => {
  it('runs events in time order, ties in scheduling order, and skips cancelled ones', () => {
    const clock = new SimClock();
    const log: string[] = [];
    clock.schedule(5, () => log.push('b@5'));
    clock.schedule(1, () => log.push('a@1'));
    clock.schedule(5, () => log.push('c@5'));
    clock.schedule(3, () => log.push('x')).cancel();
    clock.schedule(2, () => clock.schedule(0, () => log.push(`nested@${clock.now()}`)));
    clock.runUntil(4);
    expect(log).toEqual(['a@1', 'nested@2']);
    expect(clock.now()).toBe(4);
    clock.runFor(10);
    expect(log).toEqual(['a@1', 'nested@2', 'b@5', 'c@5']);
  });
});

describe('SimNetwork', () => {
  it('delivers within the delay range', () => {
    const { clock, net, received } = setup(1, { minDelayMs: 3, maxDelayMs: 7 });
    for (let n = 0; n < 50; n++) net.send({ from: 'a', to: 'b', n });
    clock.runFor(100);
    expect(received).toHaveLength(50);
    for (const r of received) expect(r.at >= 3 && r.at <= 7).toBe(true);
  });

  it('is deterministic for a seed', () => {
    const run = (seed: number) => {
      const { clock, net, received } = setup(seed, { minDelayMs: 1, maxDelayMs: 20, dropRate: 0.2, duplicateRate: 0.2, reorderRate: 0.3, reorderExtraMs: 50 });
      for (let n = 0; n < 200; n++) net.send({ from: 'a', to: n % 2 ? 'b' : 'c', n });
      clock.runFor(1000);
      return received.map((r) => `${r.at}:${r.msg.to}:${r.msg.n}`);
    };
    expect(run(9)).toEqual(run(9));
    expect(run(9)).not.toEqual(run(10));
  });

  it('drops, duplicates and reorders at roughly the configured rates', () => {
    const { clock, net, received } = setup(3, { dropRate: 0.1, duplicateRate: 0.1, reorderRate: 0.2, reorderExtraMs: 30 });
    for (let n = 0; n < 5000; n++) {
      net.send({ from: 'a', to: 'b', n });
      clock.runFor(1);
    }
    clock.runFor(100);
    const stats = net.stats();
    expect(stats.dropped / 5000).toBeGreaterThan(0.08);
    expect(stats.dropped / 5000).toBeLessThan(0.12);
    expect(stats.duplicated / 5000).toBeGreaterThan(0.07);
    const ns = received.map((r) => r.msg.n);
    expect(new Set(ns).size).toBeLessThan(ns.length); // duplicates arrived
    let inversions = 0;
    for (let i = 1; i < ns.length; i++) if ((ns[i] as number) < (ns[i - 1] as number)) inversions++;
    expect(inversions).toBeGreaterThan(100);
  });

  it('keeps messages in order on a perfect link', () => {
    const { clock, net, received } = setup(1);
    for (let n = 0; n < 20; n++) net.send({ from: 'a', to: 'b', n });
    clock.runFor(10);
    expect(received.map((r) => r.msg.n)).toEqual([...Array(20).keys()]);
  });

  it('blocks traffic across a partition, including messages in flight, until heal', () => {
    const { clock, net, received } = setup(1, { minDelayMs: 10, maxDelayMs: 10 });
    net.send({ from: 'a', to: 'c', n: 1 }); // in flight when the partition starts
    net.partition(['a', 'b'], ['c']);
    expect(net.send({ from: 'a', to: 'c', n: 2 })).toBe('blocked');
    expect(net.send({ from: 'c', to: 'b', n: 3 })).toBe('blocked');
    expect(net.send({ from: 'a', to: 'b', n: 4 })).toBe('queued');
    clock.runFor(20);
    expect(received.map((r) => r.msg.n)).toEqual([4]);
    net.heal();
    expect(net.send({ from: 'c', to: 'a', n: 5 })).toBe('queued');
    clock.runFor(20);
    expect(received.map((r) => r.msg.n)).toEqual([4, 5]);
  });

  it('cuts a link one way only, and isolates a node both ways', () => {
    const { clock, net, received } = setup(1);
    net.cut('a', 'b');
    expect(net.send({ from: 'a', to: 'b', n: 1 })).toBe('blocked');
    expect(net.send({ from: 'b', to: 'a', n: 2 })).toBe('queued');
    net.isolate('c');
    expect(net.canReach('a', 'c')).toBe(false);
    expect(net.canReach('c', 'b')).toBe(false);
    clock.runFor(5);
    expect(received.map((r) => r.msg.n)).toEqual([2]);
    net.heal();
    expect(net.canReach('a', 'b') && net.canReach('c', 'a')).toBe(true);
  });

  it('loses messages to a detached node and reports drops with a reason', () => {
    const { clock, net, received } = setup(1, { minDelayMs: 5, maxDelayMs: 5 });
    const drops: string[] = [];
    net.onDrop((m, reason) => drops.push(`${m.n}:${reason}`));
    net.send({ from: 'a', to: 'b', n: 1 });
    net.detach('b');
    expect(net.send({ from: 'a', to: 'b', n: 2 })).toBe('blocked');
    clock.runFor(10);
    expect(received).toEqual([]);
    expect(drops).toEqual(['2:down', '1:down']);
  });

  it('applies per-link faults over the defaults', () => {
    const { clock, net, received } = setup(1, { minDelayMs: 1, maxDelayMs: 1 });
    net.setLinkFaults('a', 'b', { minDelayMs: 50, maxDelayMs: 50 });
    net.send({ from: 'a', to: 'b', n: 1 });
    net.send({ from: 'a', to: 'c', n: 2 });
    clock.runFor(100);
    expect(received.map((r) => `${r.msg.n}@${r.at}`)).toEqual(['2@1', '1@50']);
    expect(() => net.setFaults({ dropRate: 2 })).toThrow(/dropRate/);
  });
});

describe('SimNetwork interceptors', () => {
  it('drops or delays chosen messages, and stops once removed', () => {
    const { clock, net, received } = setup(1, { minDelayMs: 1, maxDelayMs: 1 });
    const drops: string[] = [];
    net.onDrop((m, reason) => drops.push(`${m.n}:${reason}`));
    const remove = net.intercept((m) => (m.n === 1 ? 'drop' : m.n === 2 ? 40 : m.n === 4 ? [5, 10] : undefined));
    for (const n of [1, 2, 3, 4]) net.send({ from: 'a', to: 'b', n });
    clock.runFor(50);
    expect(received.map((r) => `${r.msg.n}@${r.at}`)).toEqual(['3@1', '4@5', '4@10', '2@40']);
    expect(drops).toEqual(['1:intercepted']);
    remove();
    net.send({ from: 'a', to: 'b', n: 1 });
    clock.runFor(5);
    expect(received.map((r) => r.msg.n)).toEqual([3, 4, 4, 2, 1]);
  });
});

describe('SimNetwork send outcomes', () => {
  it('reports each send once: delivered when the first copy lands, failed when every copy is lost', () => {
    const { clock, net } = setup(1, { minDelayMs: 5, maxDelayMs: 5 });
    const done: string[] = [];
    net.onSendDone((m, ok) => done.push(`${m.n}:${ok}`));
    net.intercept((m) => (m.n === 1 ? [5, 10] : m.n === 2 ? 'drop' : undefined));
    net.send({ from: 'a', to: 'b', n: 1 });
    net.send({ from: 'a', to: 'b', n: 2 });
    net.send({ from: 'a', to: 'c', n: 3 });
    net.detach('c'); // n3 is lost on arrival
    clock.runFor(20);
    expect(done).toEqual(['2:false', '1:true', '3:false']);
  });
});
