/**
 * The project's ONNX graph IR: plain data, no behaviour. The builder produces it, the writer
 * serializes it, the reader parses it back, and autodiff will extend it with gradient nodes.
 */

/** Element types the IR knows. `float16` data is raw IEEE half bits; `bool` is one byte per element. */
export type DType = 'float32' | 'float64' | 'float16' | 'int32' | 'int64' | 'bool';

/** One dimension: a static size, or a symbolic name such as `'batch'` bound at run time. */
export type Dim = number | string;

/** A static shape; symbolic dims are strings. A scalar has shape `[]`. */
export type Shape = readonly Dim[];

/** The storage of each {@link DType}. */
export interface TensorDataByDType {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
}

/** Any tensor storage. */
export type TensorData = TensorDataByDType[DType];

/** A named, typed, shaped value of the graph (graph input, node output or initializer). */
export interface ValueInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
}

/** A constant tensor with data; every dim is static. */
export interface Initializer {
  readonly name: string;
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: TensorData;
}

/** An attribute value, tagged because JavaScript numbers do not tell ints from floats. */
export type AttributeValue =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'tensor'; readonly value: Initializer };

/** One operator application. An empty input name marks an omitted optional input. */
export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  /** Operator set domain; `''` is the default ONNX domain (the only one this project emits). */
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}

/** A computation graph: nodes in topological order over named values. */
export interface OnnxGraph {
  readonly name: string;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly initializers: readonly Initializer[];
  readonly nodes: readonly OnnxNode[];
  /** Inferred types of intermediate values (optional for readers, always written by the builder). */
  readonly valueInfo: readonly ValueInfo[];
}

/** A graph plus the model-level facts a ModelProto carries. */
export interface OnnxModel {
  readonly graph: OnnxGraph;
  /** Version of the default ONNX operator set (this project targets 17). */
  readonly opset: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** The operator set version every graph of this project targets. */
export const DEFAULT_OPSET = 17;

/** The ONNX IR version that goes with {@link DEFAULT_OPSET}. */
export const IR_VERSION = 8;
