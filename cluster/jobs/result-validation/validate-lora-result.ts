import { parseSafetensors } from '../../../gpu-agent/lora/parse-safetensors.ts';
import { SafetensorsError, tensorToFloat32, type SafetensorsTensor } from '../../../gpu-agent/lora/safetensors-format.ts';
import type { ExpectedLoraLayout, ExpectedLoraTensor } from './expected-lora-layout.ts';
import { invalid, VALID, type ValidationResult } from './validation-result.ts';

/** Bounds on an uploaded LoRA. */
export interface LoraLimits {
  /** Largest accepted JSON header (default 1 MiB; an SD 1.5 attention LoRA's header is about 50 KiB). */
  maxHeaderBytes?: number;
  /** Largest accepted file (default 512 MiB, above an F32 attention LoRA of SD 1.5 at the largest rank training allows). */
  maxFileBytes?: number;
  /** Largest Frobenius norm of any one tensor, alpha included (default 1000). */
  maxTensorNorm?: number;
}

/** The defaults of {@link LoraLimits}. */
export const DEFAULT_LORA_LIMITS: Readonly<Required<LoraLimits>> = Object.freeze({ maxHeaderBytes: 1024 * 1024, maxFileBytes: 512 * 1024 * 1024, maxTensorNorm: 1e3 });

/** How many missing or unexpected names a reason lists. */
const NAMES_SHOWN = 3;

/**
 * Validates a LoRA an agent uploaded for a train job, cheapest checks first:
 * - the safetensors structure, by the project's reader: file size, an 8-byte header length within
 *   `maxHeaderBytes` and the file, a JSON object header, known dtypes, and data offsets that match
 *   each shape and tile the data area exactly (no overlap, gap, truncation or trailing bytes);
 * - exactly the tensor names of `expected`, each with an allowed dtype and the expected shape;
 * - every value finite, every alpha positive, and each tensor's Frobenius norm at most
 *   `maxTensorNorm`. The bound is per tensor rather than on each layer's `up x down` product:
 *   since `||up down||_F <= ||up||_F ||down||_F`, bounding every tensor (alpha's norm is |alpha|)
 *   bounds each weight change `(alpha / rank) up down` too, in one pass and without the
 *   O(out x in x rank) product.
 *
 * Synchronous and CPU-bound (one pass over the values): call it from a worker thread, never from
 * the event loop that ticks Raft.
 */
export function validateLoraResult(bytes: Uint8Array, expected: ExpectedLoraLayout, limits: LoraLimits = {}): ValidationResult {
  const bounds = { ...DEFAULT_LORA_LIMITS, ...limits };
  let tensors: ReadonlyMap<string, SafetensorsTensor>;
  try {
    tensors = parseSafetensors(bytes, { maxHeaderBytes: bounds.maxHeaderBytes, maxFileBytes: bounds.maxFileBytes }).tensors;
  } catch (error) {
    if (!(error instanceof SafetensorsError)) throw error;
    return invalid(`the LoRA is not a valid safetensors file: ${error.message}`);
  }
  const problem =
    namesProblem(tensors, expected) ??
    firstProblem(expected.tensors, (tensor) => layoutProblem(tensor, tensors.get(tensor.name)!, expected.dtypes)) ??
    firstProblem(expected.tensors, (tensor) => valuesProblem(tensor, tensors.get(tensor.name)!, bounds.maxTensorNorm));
  return problem === undefined ? VALID : invalid(problem);
}

function firstProblem(tensors: readonly ExpectedLoraTensor[], check: (tensor: ExpectedLoraTensor) => string | undefined): string | undefined {
  for (const tensor of tensors) {
    const problem = check(tensor);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** Both directions, so a LoRA for another model (or other modules) shows which layers differ. */
function namesProblem(tensors: ReadonlyMap<string, SafetensorsTensor>, expected: ExpectedLoraLayout): string | undefined {
  const wanted = new Set(expected.tensors.map((t) => t.name));
  const missing = [...wanted].filter((name) => !tensors.has(name));
  const unexpected = [...tensors.keys()].filter((name) => !wanted.has(name));
  if (missing.length === 0 && unexpected.length === 0) return undefined;
  const list = (names: string[], what: string): string => `${names.length} ${what} (${names.slice(0, NAMES_SHOWN).join(', ')}${names.length > NAMES_SHOWN ? ', ...' : ''})`;
  const parts = [...(missing.length > 0 ? [list(missing, 'missing')] : []), ...(unexpected.length > 0 ? [list(unexpected, 'unexpected')] : [])];
  return `the LoRA's tensors do not match the base model's layers: ${parts.join('; ')}`;
}

function layoutProblem(expected: ExpectedLoraTensor, tensor: SafetensorsTensor, dtypes: readonly string[]): string | undefined {
  if (!dtypes.includes(tensor.dtype)) return `the LoRA has tensor ${expected.name} of dtype ${tensor.dtype}, expected ${dtypes.join(' or ')}`;
  const same = tensor.shape.length === expected.shape.length && tensor.shape.every((dim, i) => dim === expected.shape[i]);
  return same ? undefined : `the LoRA has tensor ${expected.name} of shape [${tensor.shape.join(', ')}], expected [${expected.shape.join(', ')}]`;
}

/** Sums squares in float64, so the norm of a large tensor neither overflows nor loses its small entries. */
function valuesProblem(expected: ExpectedLoraTensor, tensor: SafetensorsTensor, maxNorm: number): string | undefined {
  const values = tensorToFloat32(tensor, expected.name);
  let sumOfSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!Number.isFinite(value)) return `the LoRA's tensor ${expected.name} holds ${value} at index ${i}, so training diverged`;
    sumOfSquares += value * value;
  }
  if (expected.role === 'alpha' && !(values[0]! > 0)) return `the LoRA's ${expected.name} is ${values[0]}, but alpha must be positive`;
  const norm = Math.sqrt(sumOfSquares);
  return norm > maxNorm ? `the LoRA's tensor ${expected.name} has Frobenius norm ${norm.toPrecision(4)}, above the bound of ${maxNorm}` : undefined;
}
