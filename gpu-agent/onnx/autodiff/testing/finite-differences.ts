import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { seededRandom } from '../../../tiny-model/seeded-random.ts';
import { inferGraph } from '../../infer-graph.ts';
import type { OnnxGraph } from '../../ir.ts';
import { createSession, type HostTensor } from '../../runtime.ts';
import { writeModel } from '../../write-model.ts';
import { buildGradientGraph } from '../build-gradient-graph.ts';
import type { GradientRegistry } from '../gradient-registry.ts';
import { HOST_IO, hostIoGraph } from './host-io-graph.ts';

/** A value fed to a graph input (or overriding an initializer that becomes an input). */
export interface Feed {
  dims: readonly number[];
  data: readonly number[];
}

/** Options of {@link checkGradients}. */
export interface CheckGradientsOptions {
  loss: string;
  wrt: readonly string[];
  /** Values of the forward graph's inputs (initializers in `wrt` default to their data). */
  feeds?: Readonly<Record<string, Feed>>;
  /** Finite-difference step (default 2^-10 for float64, 2^-6 for float32). */
  step?: number;
  /** Entries checked per `wrt` value: all when there are at most this many, else a seeded sample (default 12). */
  maxEntries?: number;
  seed?: number;
  /**
   * How entries are chosen when there are more than `maxEntries`: a seeded random sample, or the
   * entries with the largest analytic gradients (the informative ones when float32 rounding of
   * the loss limits what finite differences can resolve).
   */
  pick?: 'random' | 'largest';
  /** Gradient rules (default: the built-in registry). */
  registry?: GradientRegistry;
}

/** One checked gradient entry. */
export interface GradientEntry {
  name: string;
  index: number;
  analytic: number;
  numeric: number;
}

/** The result of {@link checkGradients}. */
export interface GradientCheck {
  entries: GradientEntry[];
  /** The gradient graph that was checked. */
  graph: OnnxGraph;
  /** Every analytic gradient, by `wrt` name. */
  gradients: Record<string, number[]>;
  loss: number;
}

function tensor(dtype: string, dims: readonly number[], data: readonly number[]): HostTensor {
  if (dtype === 'int64') return { dtype, dims, data: BigInt64Array.from(data, (v) => BigInt(v)) };
  if (dtype === 'int32') return { dtype, dims, data: Int32Array.from(data) };
  return { dtype: 'float32', dims, data: Float32Array.from(data) };
}

function read(out: Record<string, HostTensor>, name: string): number[] {
  const plain = out[name];
  if (plain !== undefined) return Array.from(plain.data as Float32Array, Number);
  const hi = out[name + HOST_IO.hi]!.data as Float32Array;
  const lo = out[name + HOST_IO.lo]!.data as Float32Array;
  return Array.from(hi, (v, i) => v + lo[i]!);
}

/**
 * Test helper: builds the gradient graph of `forward`, checks that it passes shape inference,
 * runs it once in onnxruntime (CPU) for the analytic gradients, and estimates chosen entries by
 * central differences of the loss computed by the same session, with Richardson extrapolation
 * (`(4 D(h/2) - D(h)) / 3`, error O(h^4)). float64 graphs keep full precision through
 * {@link hostIoGraph}; float32 graphs perturb their inputs directly.
 */
export async function checkGradients(forward: OnnxGraph, options: CheckGradientsOptions): Promise<GradientCheck> {
  const graph = buildGradientGraph(forward, { loss: options.loss, wrt: options.wrt, ...(options.registry === undefined ? {} : { registry: options.registry }) });
  inferGraph(graph);
  const values: Record<string, Feed> = { ...options.feeds };
  for (const init of forward.initializers) {
    if (options.wrt.includes(init.name) && values[init.name] === undefined) values[init.name] = { dims: init.dims, data: Array.from(init.data as Float32Array, Number) };
  }
  const host = hostIoGraph(graph, values);
  const dir = await mkdtemp(join(tmpdir(), 'teambooth-autodiff-'));
  try {
    const path = join(dir, 'model.onnx');
    await writeModel(path, { graph: host, opset: 17, producerName: 'teambooth-test', producerVersion: '0' });
    const session = await createSession(path, { device: 'cpu', logger: pino({ level: 'silent' }), intraOpThreads: 1 });
    try {
      const run = async (name?: string, index?: number, delta = 0): Promise<Record<string, HostTensor>> => {
        const feeds: Record<string, HostTensor> = {};
        for (const input of graph.inputs) {
          const value = values[input.name]!;
          const wide = input.dtype === 'float64';
          const data = wide ? new Array<number>(value.data.length).fill(0) : [...value.data];
          if (input.name === name) data[index!] = data[index!]! + delta;
          feeds[wide ? input.name + HOST_IO.delta : input.name] = tensor(input.dtype, value.dims, data);
        }
        return session.run(feeds);
      };
      const base = await run();
      const gradients = Object.fromEntries(options.wrt.map((name) => [name, read(base, `${name}_grad`)]));
      const random = seededRandom(options.seed ?? 7, 'finite-differences');
      const entries: GradientEntry[] = [];
      for (const name of options.wrt) {
        const input = graph.inputs.find((v) => v.name === name)!;
        const wide = input.dtype === 'float64';
        const step = options.step ?? (wide ? 2 ** -10 : 2 ** -6);
        const count = values[name]!.data.length;
        const max = options.maxEntries ?? 12;
        const all = Array.from({ length: count }, (_, i) => i);
        const largest = () => all.sort((a, b) => Math.abs(gradients[name]![b]!) - Math.abs(gradients[name]![a]!)).slice(0, max);
        const indices = count <= max ? all : options.pick === 'largest' ? largest() : Array.from({ length: max }, () => Math.floor(random.uniform() * count));
        for (const index of indices) {
          const central = async (h: number): Promise<number> => {
            const x = values[name]!.data[index]!;
            // float32 inputs are rounded after the step, so divide by the step actually taken.
            const taken = wide ? 2 * h : Math.fround(x + h) - Math.fround(x - h);
            const plus = read(await run(name, index, h), options.loss)[0]!;
            const minus = read(await run(name, index, -h), options.loss)[0]!;
            return (plus - minus) / taken;
          };
          const numeric = (4 * (await central(step / 2)) - (await central(step))) / 3;
          entries.push({ name, index, analytic: gradients[name]![index]!, numeric });
        }
      }
      return { entries, graph, gradients, loss: read(base, options.loss)[0]! };
    } finally {
      await session.release();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The largest `|analytic - numeric| / (atol + rtol |numeric|)` over the entries; at most 1 means all pass. */
export function worstError(entries: readonly GradientEntry[], atol: number, rtol: number): { ratio: number; entry?: GradientEntry } {
  let worst: { ratio: number; entry?: GradientEntry } = { ratio: 0 };
  for (const entry of entries) {
    const ratio = Math.abs(entry.analytic - entry.numeric) / (atol + rtol * Math.abs(entry.numeric));
    if (!(ratio <= worst.ratio)) worst = { ratio, entry };
  }
  return worst;
}
