import type { GraphBuilder, Value } from '../onnx/graph-builder.ts';
import { seededRandom } from './seeded-random.ts';

/**
 * Trained values of a component's parameters by parameter name (`conv_in.weight`); when given,
 * every parameter must be found there with exactly its element count.
 */
export type WeightSource = (name: string) => Float32Array | undefined;

/** How a parameter starts: normal with a standard deviation, or a constant. */
export type ParamInit = { normal: number } | 'zeros' | 'ones';

/**
 * The layers the tiny model is made of, written on top of a {@link GraphBuilder}. Parameters get
 * diffusers/transformers names (`down_blocks.0.resnets.0.conv1.weight`) and PyTorch layouts
 * (linear weights `[out, in]`), so LoRA keys and shapes line up with real Stable Diffusion
 * checkpoints. Values are drawn from a stream seeded by (seed, parameter name): a parameter's
 * values do not depend on the order in which the graph is built.
 */
export class ModuleBuilder {
  #parameterCount = 0;

  constructor(
    readonly b: GraphBuilder,
    readonly seed: number,
    readonly weights?: WeightSource,
  ) {}

  /** Number of weight elements created so far. */
  get parameterCount(): number {
    return this.#parameterCount;
  }

  /** Creates a float32 parameter: its trained value when there are {@link weights}, else drawn by `init`. */
  param(name: string, dims: readonly number[], init: ParamInit): Value {
    const count = dims.reduce((a, b) => a * b, 1);
    if (this.weights !== undefined) {
      const trained = this.weights(name);
      if (trained === undefined) throw new Error(`the trained weights lack "${name}"`);
      if (trained.length !== count) throw new Error(`trained weight "${name}" has ${trained.length} values, [${dims.join(', ')}] needs ${count}`);
      this.#parameterCount += count;
      return this.b.initializer(name, 'float32', dims, trained);
    }
    const data = new Float32Array(count);
    if (init === 'ones') data.fill(1);
    if (typeof init === 'object') {
      const random = seededRandom(this.seed, name);
      for (let i = 0; i < count; i++) data[i] = random.normal() * init.normal;
    }
    this.#parameterCount += count;
    return this.b.initializer(name, 'float32', dims, data);
  }

  /** `x @ W^T + b` over the last dim; `W` is `[out, in]` as in PyTorch. Init std `gain / sqrt(in)`. */
  linear(x: Value, name: string, inFeatures: number, outFeatures: number, options: { bias?: boolean; gain?: number } = {}): Value {
    const weight = this.param(`${name}.weight`, [outFeatures, inFeatures], { normal: (options.gain ?? 1) / Math.sqrt(inFeatures) });
    const y = this.b.matMul(x, this.b.transpose(weight, [1, 0]));
    return options.bias === false ? y : this.b.add(y, this.param(`${name}.bias`, [outFeatures], 'zeros'));
  }

  /** 2-D convolution with a square kernel; `pads` defaults to "same" for odd kernels. Init std `gain / sqrt(fan_in)`. */
  conv2d(x: Value, name: string, inChannels: number, outChannels: number, kernel: number, options: { stride?: number; pads?: readonly number[]; gain?: number } = {}): Value {
    const fanIn = inChannels * kernel * kernel;
    const weight = this.param(`${name}.weight`, [outChannels, inChannels, kernel, kernel], { normal: (options.gain ?? 1) / Math.sqrt(fanIn) });
    const bias = this.param(`${name}.bias`, [outChannels], 'zeros');
    const half = (kernel - 1) / 2;
    const stride = options.stride ?? 1;
    return this.b.conv(x, weight, bias, { pads: options.pads ?? [half, half, half, half], strides: [stride, stride] });
  }

  /** LayerNormalization (opset 17) over the last dim, with `weight` and `bias`. */
  layerNorm(x: Value, name: string, width: number, epsilon = 1e-5): Value {
    return this.b.layerNormalization(x, this.param(`${name}.weight`, [width], 'ones'), this.param(`${name}.bias`, [width], 'zeros'), { epsilon });
  }

  /**
   * GroupNorm of an NCHW tensor built from standard ops (opset 17 has no GroupNormalization):
   * reshape to `[batch, groups, rest]`, subtract the mean, divide by `sqrt(var + eps)`, reshape
   * back, then apply the per-channel `weight` and `bias`.
   */
  groupNorm(x: Value, name: string, groups: number, epsilon: number): Value {
    const { b } = this;
    const [batch, channels, height, width] = x.shape as [string | number, number, number, number];
    if (channels % groups !== 0) throw new Error(`${name}: ${channels} channels do not split into ${groups} groups`);
    const grouped = b.reshape(x, [batch, groups, (channels / groups) * height * width]);
    const centered = b.sub(grouped, b.reduceMean(grouped, [2]));
    const variance = b.reduceMean(b.mul(centered, centered), [2]);
    const normalized = b.reshape(b.div(centered, b.sqrt(b.add(variance, epsilon))), [batch, channels, height, width]);
    const weight = this.param(`${name}.weight`, [channels], 'ones');
    const bias = this.param(`${name}.bias`, [channels], 'zeros');
    return b.add(b.mul(normalized, b.reshape(weight, [channels, 1, 1])), b.reshape(bias, [channels, 1, 1]));
  }

  /** SiLU: `x * sigmoid(x)`. */
  silu(x: Value): Value {
    return this.b.mul(x, this.b.sigmoid(x));
  }

  /** Exact GELU: `0.5 x (1 + erf(x / sqrt 2))`. */
  gelu(x: Value): Value {
    const { b } = this;
    return b.mul(b.mul(x, 0.5), b.add(b.erf(b.mul(x, Math.SQRT1_2)), 1));
  }

  /** CLIP's quick GELU: `x * sigmoid(1.702 x)`. */
  quickGelu(x: Value): Value {
    return this.b.mul(x, this.b.sigmoid(this.b.mul(x, 1.702)));
  }
}
