import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { DTYPES, dtypeFromCode, tensorBytes, tensorFromBytes } from './dtype.ts';
import { IR_VERSION, type AttributeValue, type DType, type Initializer, type OnnxGraph, type OnnxModel, type OnnxNode, type TensorData, type ValueInfo } from './ir.ts';

/** Where a tensor's bytes live when they are kept outside the model file. */
export interface ExternalLocation {
  /** File name relative to the model file's folder. */
  location: string;
  offset: number;
  length: number;
}

/** Decides, per initializer, whether its bytes go to an external file (return the place) or inline (undefined). */
export type ExternalPlacer = (tensor: Initializer) => ExternalLocation | undefined;

/** Reads the bytes of an externally stored tensor. */
export type ExternalReader = (where: ExternalLocation, tensorName: string) => Uint8Array;

/** Encodes and decodes ModelProto bytes through the project's `onnx.proto`. */
export interface OnnxCodec {
  encode(model: OnnxModel, placeExternal?: ExternalPlacer): Uint8Array;
  decode(bytes: Uint8Array, readExternal?: ExternalReader): OnnxModel;
}

type Json = Record<string, unknown>;

const ATTRIBUTE_TYPES = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

function tensorToProto(tensor: Initializer, place?: ExternalPlacer): Json {
  const proto: Json = { dims: [...tensor.dims], dataType: DTYPES[tensor.dtype].code, name: tensor.name };
  const where = place?.(tensor);
  if (where === undefined) {
    proto['rawData'] = tensorBytes(tensor.data);
    return proto;
  }
  proto['dataLocation'] = 1;
  proto['externalData'] = [
    { key: 'location', value: where.location },
    { key: 'offset', value: String(where.offset) },
    { key: 'length', value: String(where.length) },
  ];
  return proto;
}

function valueInfoToProto(value: ValueInfo): Json {
  const dim = value.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name: value.name, type: { tensorType: { elemType: DTYPES[value.dtype].code, shape: { dim } } } };
}

function attributeToProto(name: string, value: AttributeValue): Json {
  const proto: Json = { name, type: ATTRIBUTE_TYPES[value.type] };
  switch (value.type) {
    case 'int': return { ...proto, i: value.value };
    case 'float': return { ...proto, f: value.value };
    case 'string': return { ...proto, s: Buffer.from(value.value, 'utf8') };
    case 'ints': return { ...proto, ints: [...value.value] };
    case 'floats': return { ...proto, floats: [...value.value] };
    case 'tensor': return { ...proto, t: tensorToProto(value.value) };
  }
}

function nodeToProto(node: OnnxNode): Json {
  const proto: Json = { input: [...node.inputs], output: [...node.outputs], name: node.name, opType: node.opType };
  if (node.domain !== '') proto['domain'] = node.domain;
  proto['attribute'] = Object.entries(node.attributes).map(([name, value]) => attributeToProto(name, value));
  return proto;
}

function modelToProto(model: OnnxModel, place?: ExternalPlacer): Json {
  const graph = model.graph;
  const proto: Json = {
    irVersion: IR_VERSION,
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    opsetImport: [{ domain: '', version: model.opset }],
    graph: {
      node: graph.nodes.map(nodeToProto),
      name: graph.name,
      initializer: graph.initializers.map((t) => tensorToProto(t, place)),
      input: graph.inputs.map(valueInfoToProto),
      output: graph.outputs.map(valueInfoToProto),
      valueInfo: graph.valueInfo.map(valueInfoToProto),
    },
  };
  if (model.docString !== undefined) proto['docString'] = model.docString;
  if (model.metadata !== undefined) proto['metadataProps'] = Object.entries(model.metadata).map(([key, value]) => ({ key, value }));
  return proto;
}

function typedFieldData(dtype: DType, proto: Json): TensorData | undefined {
  const pick = (field: string): unknown[] | undefined => {
    const values = proto[field] as unknown[] | undefined;
    return values !== undefined && values.length > 0 ? values : undefined;
  };
  const floats = pick('floatData');
  const int32s = pick('int32Data');
  const int64s = pick('int64Data');
  const doubles = pick('doubleData');
  if (dtype === 'float32' && floats !== undefined) return Float32Array.from(floats as number[]);
  if (dtype === 'float64' && doubles !== undefined) return Float64Array.from(doubles as number[]);
  if (dtype === 'int64' && int64s !== undefined) return BigInt64Array.from(int64s as number[], (v) => BigInt(v));
  if (int32s !== undefined) {
    if (dtype === 'int32') return Int32Array.from(int32s as number[]);
    if (dtype === 'float16') return Uint16Array.from(int32s as number[]);
    if (dtype === 'bool') return Uint8Array.from(int32s as number[]);
  }
  return undefined;
}

function tensorFromProto(proto: Json, readExternal?: ExternalReader): Initializer {
  const name = String(proto['name'] ?? '');
  const dtype = dtypeFromCode(Number(proto['dataType'] ?? 0));
  const dims = ((proto['dims'] as number[] | undefined) ?? []).map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  let data: TensorData | undefined;
  if (proto['dataLocation'] === 1) {
    const entries = new Map(((proto['externalData'] as Json[] | undefined) ?? []).map((e) => [String(e['key']), String(e['value'])]));
    const location = entries.get('location');
    if (location === undefined) throw new Error(`tensor "${name}" is stored externally but names no location`);
    if (readExternal === undefined) throw new Error(`tensor "${name}" is stored in "${location}", but no external data reader was given`);
    const where = { location, offset: Number(entries.get('offset') ?? 0), length: Number(entries.get('length') ?? count * DTYPES[dtype].bytes) };
    data = tensorFromBytes(dtype, readExternal(where, name));
  } else if (proto['rawData'] !== undefined && (proto['rawData'] as Uint8Array).byteLength > 0) {
    data = tensorFromBytes(dtype, proto['rawData'] as Uint8Array);
  } else {
    data = typedFieldData(dtype, proto) ?? DTYPES[dtype].create(0);
  }
  if (data.length !== count) throw new Error(`tensor "${name}" has ${data.length} elements but dims [${dims.join(', ')}] need ${count}`);
  return { name, dtype, dims, data };
}

function valueInfoFromProto(proto: Json): ValueInfo {
  const name = String(proto['name'] ?? '');
  const tensorType = (proto['type'] as Json | undefined)?.['tensorType'] as Json | undefined;
  if (tensorType === undefined) throw new Error(`value "${name}" is not a tensor`);
  const dims = (((tensorType['shape'] as Json | undefined)?.['dim'] as Json[] | undefined) ?? []).map((d, i) =>
    d['dimValue'] !== undefined ? Number(d['dimValue']) : d['dimParam'] !== undefined ? String(d['dimParam']) : `unknown_${i}`,
  );
  return { name, dtype: dtypeFromCode(Number(tensorType['elemType'])), shape: dims };
}

function attributeFromProto(proto: Json, readExternal?: ExternalReader): [string, AttributeValue] {
  const name = String(proto['name']);
  const list = (field: string): number[] => ((proto[field] as unknown[] | undefined) ?? []).map(Number);
  switch (Number(proto['type'])) {
    case ATTRIBUTE_TYPES.float: return [name, { type: 'float', value: Number(proto['f'] ?? 0) }];
    case ATTRIBUTE_TYPES.int: return [name, { type: 'int', value: Number(proto['i'] ?? 0) }];
    case ATTRIBUTE_TYPES.string: return [name, { type: 'string', value: Buffer.from((proto['s'] as Uint8Array | undefined) ?? []).toString('utf8') }];
    case ATTRIBUTE_TYPES.tensor: return [name, { type: 'tensor', value: tensorFromProto(proto['t'] as Json, readExternal) }];
    case ATTRIBUTE_TYPES.floats: return [name, { type: 'floats', value: list('floats') }];
    case ATTRIBUTE_TYPES.ints: return [name, { type: 'ints', value: list('ints') }];
    default: throw new Error(`attribute "${name}" has unsupported type ${String(proto['type'])}`);
  }
}

function nodeFromProto(proto: Json, index: number, readExternal?: ExternalReader): OnnxNode {
  return {
    name: String(proto['name'] ?? `node_${index}`),
    opType: String(proto['opType']),
    domain: String(proto['domain'] ?? ''),
    inputs: ((proto['input'] as string[] | undefined) ?? []).map(String),
    outputs: ((proto['output'] as string[] | undefined) ?? []).map(String),
    attributes: Object.fromEntries(((proto['attribute'] as Json[] | undefined) ?? []).map((a) => attributeFromProto(a, readExternal))),
  };
}

function modelFromProto(proto: Json, readExternal?: ExternalReader): OnnxModel {
  const graph = (proto['graph'] as Json | undefined) ?? {};
  const arrays = (field: string): Json[] => (graph[field] as Json[] | undefined) ?? [];
  const defaultOpset = ((proto['opsetImport'] as Json[] | undefined) ?? []).find((o) => (o['domain'] ?? '') === '');
  const metadata = proto['metadataProps'] as Json[] | undefined;
  const result: OnnxGraph = {
    name: String(graph['name'] ?? ''),
    inputs: arrays('input').map(valueInfoFromProto),
    outputs: arrays('output').map(valueInfoFromProto),
    initializers: arrays('initializer').map((t) => tensorFromProto(t, readExternal)),
    nodes: arrays('node').map((n, i) => nodeFromProto(n, i, readExternal)),
    valueInfo: arrays('valueInfo').map(valueInfoFromProto),
  };
  return {
    graph: result,
    opset: Number(defaultOpset?.['version'] ?? 1),
    producerName: String(proto['producerName'] ?? ''),
    producerVersion: String(proto['producerVersion'] ?? ''),
    ...(proto['docString'] === undefined ? {} : { docString: String(proto['docString']) }),
    ...(metadata === undefined ? {} : { metadata: Object.fromEntries(metadata.map((e) => [String(e['key']), String(e['value'] ?? '')])) }),
  };
}

/** Loads `onnx.proto` (next to this file) and returns a codec for ModelProto bytes. */
export function createOnnxCodec(): OnnxCodec {
  const source = readFileSync(fileURLToPath(new URL('./onnx.proto', import.meta.url)), 'utf8');
  const root = protobuf.parse(source).root;
  const modelType = root.lookupType('teambooth.onnx.ModelProto');
  return {
    encode(model, placeExternal) {
      return modelType.encode(modelType.fromObject(modelToProto(model, placeExternal))).finish();
    },
    decode(bytes, readExternal) {
      const message = modelType.decode(bytes);
      const object = modelType.toObject(message, { longs: Number, enums: Number, arrays: false, defaults: false }) as Json;
      return modelFromProto(object, readExternal);
    },
  };
}
