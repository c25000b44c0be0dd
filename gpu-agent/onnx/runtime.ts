import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Logger } from 'pino';

/**
 * The only module of the project that imports onnxruntime-node. Everything else speaks
 * {@link OnnxSession} and {@link HostTensor}, so the runtime can be swapped or faked in one place.
 */

/** What the operator asks for: `auto` tries CUDA and falls back to the CPU. */
export type Device = 'auto' | 'cuda' | 'cpu';

/** The execution provider a session actually runs on. */
export type Provider = 'cuda' | 'cpu';

/** Element types a {@link HostTensor} may carry. */
export type HostDType = 'float32' | 'int32' | 'int64' | 'float16';

/** A tensor in host memory, as fed to and returned by {@link OnnxSession.run}. float16 data is raw IEEE half bits. */
export interface HostTensor {
  dtype: HostDType;
  dims: readonly number[];
  data: Float32Array | Int32Array | BigInt64Array | Uint16Array;
}

/** Name, element type and shape (numbers, or symbolic names such as `'batch'`) of a model input or output. */
export interface TensorInfo {
  name: string;
  dtype: HostDType;
  dims: (number | string)[];
}

/** A loaded model bound to one execution provider. */
export interface OnnxSession {
  readonly provider: Provider;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /**
   * Runs the model. onnxruntime-node runs synchronously once started, so `signal` is honoured
   * before the run starts and when it ends (the results of an aborted run are discarded).
   */
  run(feeds: Record<string, HostTensor>, options?: { signal?: AbortSignal }): Promise<Record<string, HostTensor>>;
  /** Frees the native session; the session must not be used afterwards. */
  release(): Promise<void>;
}

/** Options of {@link createSession}. */
export interface CreateSessionOptions {
  device: Device;
  logger: Logger;
  /** Threads for one operator (default: onnxruntime's choice, usually the number of cores). */
  intraOpThreads?: number;
}

/** The providers to hand to onnxruntime, chosen by {@link resolveExecutionProviders}. */
export interface ExecutionProviderPlan {
  /** The provider the first session attempt uses. */
  provider: Provider;
  /** Set when `auto` could not use CUDA: why, for one log line. */
  fallbackReason?: string;
}

/** Tells whether the CUDA execution provider library is installed next to onnxruntime-node. */
export type CudaProbe = () => { available: boolean; reason?: string };

/** The command that installs the CUDA execution provider; quoted in every CUDA error. */
export const CUDA_INSTALL_COMMAND = 'ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node';

/** Raised for a model that cannot be loaded or run, or a provider that is not installed. */
export class OnnxRuntimeError extends Error {
  constructor(
    message: string,
    readonly code: 'model-missing' | 'model-invalid' | 'cuda-unavailable' | 'bad-input' | 'run-failed',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OnnxRuntimeError';
  }
}

/** Looks for `libonnxruntime_providers_cuda` in the folder of onnxruntime-node's native binding. */
export const detectCudaProvider: CudaProbe = () => {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(dirname(require.resolve('onnxruntime-node')));
  const binDir = join(packageDir, 'bin', 'napi-v6', process.platform, process.arch);
  const file = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  if (existsSync(join(binDir, file))) return { available: true };
  return { available: false, reason: `the CUDA execution provider is not installed (${file} is missing in ${binDir})` };
};

/**
 * Chooses the execution provider for a device: `cpu` is always the CPU; `cuda` requires the CUDA
 * provider and throws an {@link OnnxRuntimeError} naming {@link CUDA_INSTALL_COMMAND} if it is
 * missing; `auto` uses CUDA when installed and otherwise the CPU, with a `fallbackReason`.
 */
export function resolveExecutionProviders(device: Device, probe: CudaProbe = detectCudaProvider): ExecutionProviderPlan {
  if (device === 'cpu') return { provider: 'cpu' };
  const cuda = probe();
  if (cuda.available) return { provider: 'cuda' };
  const reason = cuda.reason ?? 'the CUDA execution provider is not available';
  if (device === 'cuda') throw cudaUnavailable(reason);
  return { provider: 'cpu', fallbackReason: reason };
}

function cudaUnavailable(reason: string, cause?: unknown): OnnxRuntimeError {
  return new OnnxRuntimeError(
    `device "cuda" was requested but ${reason}; install it with \`${CUDA_INSTALL_COMMAND}\` (needs CUDA 12 and cuDNN 9), or set the device to "auto" or "cpu"`,
    'cuda-unavailable',
    { cause },
  );
}

const ORT_TYPES: Record<string, HostDType | undefined> = { float32: 'float32', float16: 'float16', int32: 'int32', int64: 'int64' };

function toTensorInfo(meta: ort.InferenceSession.ValueMetadata, modelPath: string): TensorInfo {
  const dtype = meta.isTensor ? ORT_TYPES[meta.type] : undefined;
  if (!meta.isTensor || dtype === undefined) {
    const type = meta.isTensor ? meta.type : 'non-tensor';
    throw new OnnxRuntimeError(`model "${modelPath}": value "${meta.name}" has unsupported type ${type} (float32, float16, int32, int64 only)`, 'model-invalid');
  }
  return { name: meta.name, dtype, dims: [...meta.shape] };
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('the run was aborted', 'AbortError');
}

function toOrtTensor(name: string, tensor: HostTensor): ort.Tensor {
  const count = tensor.dims.reduce((a, b) => a * b, 1);
  if (tensor.data.length !== count) {
    throw new OnnxRuntimeError(`input "${name}": ${tensor.data.length} elements do not fill dims [${tensor.dims.join(', ')}] (${count})`, 'bad-input');
  }
  return new ort.Tensor(tensor.dtype, tensor.data as never, tensor.dims);
}

function fromOrtTensor(name: string, value: ort.OnnxValue): HostTensor {
  const tensor = value as ort.Tensor;
  const dims = [...tensor.dims];
  switch (tensor.type) {
    case 'float32':
      return { dtype: 'float32', dims, data: tensor.data as Float32Array };
    case 'int32':
      return { dtype: 'int32', dims, data: tensor.data as Int32Array };
    case 'int64':
      return { dtype: 'int64', dims, data: tensor.data as BigInt64Array };
    case 'float16': {
      const data = tensor.data as unknown as ArrayBufferView;
      return { dtype: 'float16', dims, data: new Uint16Array(data.buffer, data.byteOffset, tensor.size) };
    }
    default:
      throw new OnnxRuntimeError(`output "${name}" has unsupported type ${tensor.type}`, 'run-failed');
  }
}

async function loadSession(modelPath: string, provider: Provider, intraOpThreads: number | undefined): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(intraOpThreads === undefined ? {} : { intraOpNumThreads: intraOpThreads }),
  };
  return ort.InferenceSession.create(modelPath, options);
}

/**
 * Loads an ONNX model on the provider chosen for `options.device` and logs the provider it got.
 * With `auto`, a CUDA session that fails to start is retried on the CPU with a warning. A missing
 * or unreadable model rejects with an {@link OnnxRuntimeError} that names the file.
 */
export async function createSession(modelPath: string, options: CreateSessionOptions): Promise<OnnxSession> {
  const logger = options.logger;
  try {
    const info = await stat(modelPath);
    if (!info.isFile()) throw new Error('not a file');
  } catch (error) {
    throw new OnnxRuntimeError(`ONNX model file "${modelPath}" does not exist or is not a file`, 'model-missing', { cause: error });
  }
  const plan = resolveExecutionProviders(options.device);
  if (plan.fallbackReason !== undefined) {
    logger.info({ model: modelPath, reason: plan.fallbackReason }, 'CUDA is not available, using the CPU execution provider');
  }
  let provider = plan.provider;
  let session: ort.InferenceSession;
  try {
    session = await loadSession(modelPath, provider, options.intraOpThreads);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const providerFailed = provider === 'cuda' && /cuda|provider|shared library/i.test(message);
    if (providerFailed && options.device === 'cuda') throw cudaUnavailable(`the CUDA execution provider failed to start (${message})`, error);
    if (!providerFailed) {
      throw new OnnxRuntimeError(`cannot load ONNX model "${modelPath}": ${message}`, 'model-invalid', { cause: error });
    }
    logger.warn({ model: modelPath, error: message }, 'the CUDA execution provider failed to start, falling back to the CPU');
    provider = 'cpu';
    try {
      session = await loadSession(modelPath, provider, options.intraOpThreads);
    } catch (cpuError) {
      const cpuMessage = cpuError instanceof Error ? cpuError.message : String(cpuError);
      throw new OnnxRuntimeError(`cannot load ONNX model "${modelPath}": ${cpuMessage}`, 'model-invalid', { cause: cpuError });
    }
  }
  const inputs = session.inputMetadata.map((m) => toTensorInfo(m, modelPath));
  const outputs = session.outputMetadata.map((m) => toTensorInfo(m, modelPath));
  logger.info({ model: modelPath, provider, inputs: inputs.map((i) => i.name), outputs: outputs.map((o) => o.name) }, 'ONNX session ready');
  return {
    provider,
    inputs,
    outputs,
    async run(feeds, runOptions) {
      const signal = runOptions?.signal;
      if (signal?.aborted) throw abortError(signal);
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const input of inputs) {
        const feed = feeds[input.name];
        if (feed === undefined) throw new OnnxRuntimeError(`model "${modelPath}": missing input "${input.name}"`, 'bad-input');
        if (feed.dtype !== input.dtype) {
          throw new OnnxRuntimeError(`model "${modelPath}": input "${input.name}" must be ${input.dtype}, got ${feed.dtype}`, 'bad-input');
        }
        ortFeeds[input.name] = toOrtTensor(input.name, feed);
      }
      let results: ort.InferenceSession.ReturnType;
      try {
        results = await session.run(ortFeeds);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new OnnxRuntimeError(`model "${modelPath}" failed to run: ${message}`, 'run-failed', { cause: error });
      }
      if (signal?.aborted) throw abortError(signal);
      const out: Record<string, HostTensor> = {};
      for (const [name, value] of Object.entries(results)) out[name] = fromOrtTensor(name, value);
      return out;
    },
    async release() {
      await session.release();
    },
  };
}
