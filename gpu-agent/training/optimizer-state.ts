import type { HostTensor } from '../onnx/runtime.ts';
import { OPTIMIZER_IO, type OptimizedParameter } from './append-adamw.ts';

/**
 * The parameters and AdamW moments of a training graph built with `appendAdamW`, kept on the host
 * between session runs: it makes each step's feeds and takes the updated values back. Moments
 * start at zero; the step count starts at 0 and the first step is fed as 1 (bias correction).
 */
export class OptimizerState {
  /** Current parameter values by graph name. */
  readonly values = new Map<string, Float32Array>();
  private readonly moments = new Map<string, Float32Array>();
  private completed = 0;

  /** `start(name)` gives each parameter's initial values; their count must match its dims. */
  constructor(
    private readonly parameters: readonly OptimizedParameter[],
    start: (name: string) => ArrayLike<number>,
  ) {
    for (const p of parameters) {
      const count = p.dims.reduce((a, b) => a * b, 1);
      const initial = start(p.name);
      if (initial.length !== count) throw new Error(`start weight "${p.name}" has ${initial.length} values, the graph needs ${count}`);
      this.values.set(p.name, Float32Array.from(initial));
      this.moments.set(p.m, new Float32Array(count));
      this.moments.set(p.v, new Float32Array(count));
    }
  }

  /** Optimizer steps taken so far. */
  get steps(): number {
    return this.completed;
  }

  /** The step count, learning rate, parameters and moments to feed the next run. */
  feeds(learningRate: number): Record<string, HostTensor> {
    const feeds: Record<string, HostTensor> = {
      [OPTIMIZER_IO.step]: float32(Float32Array.of(this.completed + 1), []),
      [OPTIMIZER_IO.learningRate]: float32(Float32Array.of(learningRate), []),
    };
    for (const p of this.parameters) {
      feeds[p.name] = float32(this.values.get(p.name)!, p.dims);
      feeds[p.m] = float32(this.moments.get(p.m)!, p.dims);
      feeds[p.v] = float32(this.moments.get(p.v)!, p.dims);
    }
    return feeds;
  }

  /** Takes the updated parameters and moments from a run's outputs; returns the gradient norm. */
  update(outputs: Record<string, HostTensor>): number {
    for (const p of this.parameters) {
      this.values.set(p.name, outputs[p.updated]!.data as Float32Array);
      this.moments.set(p.m, outputs[p.updatedM]!.data as Float32Array);
      this.moments.set(p.v, outputs[p.updatedV]!.data as Float32Array);
    }
    this.completed++;
    return (outputs[OPTIMIZER_IO.gradNorm]!.data as Float32Array)[0]!;
  }
}

function float32(data: Float32Array, dims: readonly number[]): HostTensor {
  return { dtype: 'float32', dims, data };
}
