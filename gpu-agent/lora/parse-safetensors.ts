import { open } from 'node:fs/promises';
import {
  isSafetensorsDType,
  METADATA_KEY,
  SAFETENSORS_DTYPE_BYTES,
  SafetensorsError,
  type SafetensorsContent,
  type SafetensorsDType,
  type SafetensorsTensor,
} from './safetensors-format.ts';

/** Bounds a reader of untrusted files enforces before it allocates anything large. */
export interface SafetensorsLimits {
  /** Largest accepted JSON header, in bytes (default 8 MiB; Stable Diffusion checkpoints need well under 1 MiB). */
  maxHeaderBytes?: number;
  /** Largest accepted file, header included (default 4 GiB). */
  maxFileBytes?: number;
  /** Most tensors in one file (default 65 536). */
  maxTensors?: number;
  /** Most dims of one tensor (default 8). */
  maxRank?: number;
}

const DEFAULTS: Required<SafetensorsLimits> = { maxHeaderBytes: 8 * 1024 * 1024, maxFileBytes: 4 * 1024 ** 3, maxTensors: 65_536, maxRank: 8 };

interface HeaderEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

interface ParsedHeader {
  entries: HeaderEntry[];
  metadata: Record<string, string>;
  /** Bytes of the data section the offsets cover. */
  dataBytes: number;
}

/**
 * Parses a safetensors file held in memory. Every number of the header is checked before use:
 * the header length against the limits and the buffer, each tensor's dtype (known), shape
 * (non-negative integers) and offsets (in range, matching shape times element size), and the
 * offsets together (no overlap, no gap, covering the data exactly). Throws a
 * {@link SafetensorsError} that names the first problem. Tensor bytes are copied, so the result
 * does not keep `bytes` alive and every tensor is aligned.
 */
export function parseSafetensors(bytes: Uint8Array, limits: SafetensorsLimits = {}): SafetensorsContent {
  const bounds = { ...DEFAULTS, ...limits };
  if (bytes.byteLength > bounds.maxFileBytes) throw new SafetensorsError(`the file has ${bytes.byteLength} bytes, more than the limit of ${bounds.maxFileBytes}`);
  const headerLength = readHeaderLength(bytes.subarray(0, 8), bytes.byteLength, bounds);
  const header = parseHeader(bytes.subarray(8, 8 + headerLength), bounds);
  const dataStart = 8 + headerLength;
  const available = bytes.byteLength - dataStart;
  if (available !== header.dataBytes) {
    throw new SafetensorsError(`the header's offsets cover ${header.dataBytes} data bytes but the file has ${available} after the header${available < header.dataBytes ? ' (truncated file?)' : ' (trailing bytes)'}`);
  }
  const tensors = new Map<string, SafetensorsTensor>();
  for (const entry of header.entries) {
    tensors.set(entry.name, { dtype: entry.dtype, shape: entry.shape, bytes: bytes.slice(dataStart + entry.begin, dataStart + entry.end) });
  }
  return { tensors, metadata: header.metadata };
}

/**
 * Reads and parses a safetensors file with the checks of {@link parseSafetensors}; the header is
 * read and checked before the data, so an oversized or lying header costs no large allocation.
 * Errors name the file.
 */
export async function readSafetensorsFile(path: string, options: SafetensorsLimits & { signal?: AbortSignal } = {}): Promise<SafetensorsContent> {
  const bounds = { ...DEFAULTS, ...options };
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const fail = (error: unknown): never => {
      throw new SafetensorsError(`safetensors file "${path}": ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    };
    try {
      if (size > bounds.maxFileBytes) throw new SafetensorsError(`the file has ${size} bytes, more than the limit of ${bounds.maxFileBytes}`);
      const prefix = new Uint8Array(8);
      await file.read(prefix, 0, Math.min(8, size), 0);
      const headerLength = readHeaderLength(prefix.subarray(0, Math.min(8, size)), size, bounds);
      const headerBytes = new Uint8Array(headerLength);
      await file.read(headerBytes, 0, headerLength, 8);
      const header = parseHeader(headerBytes, bounds);
      if (size - 8 - headerLength !== header.dataBytes) {
        throw new SafetensorsError(`the header's offsets cover ${header.dataBytes} data bytes but the file has ${size - 8 - headerLength} after the header`);
      }
      options.signal?.throwIfAborted();
      const all = new Uint8Array(size);
      const { bytesRead } = await file.read(all, 0, size, 0);
      if (bytesRead !== size) throw new SafetensorsError(`the file changed while being read (${bytesRead} of ${size} bytes)`);
      return parseSafetensors(all, bounds);
    } catch (error) {
      if (error instanceof Error && error.name === 'AbortError') throw error;
      return fail(error);
    }
  } finally {
    await file.close();
  }
}

function readHeaderLength(prefix: Uint8Array, fileBytes: number, bounds: Required<SafetensorsLimits>): number {
  if (prefix.byteLength < 8) throw new SafetensorsError(`the file has ${fileBytes} bytes, fewer than the 8-byte header length`);
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(bounds.maxHeaderBytes)) throw new SafetensorsError(`the header claims ${length} bytes, more than the limit of ${bounds.maxHeaderBytes}`);
  const n = Number(length);
  if (n < 2) throw new SafetensorsError(`the header length ${n} is too small for a JSON object`);
  if (8 + n > fileBytes) throw new SafetensorsError(`the header claims ${n} bytes but the file has only ${fileBytes - 8} after the length`);
  return n;
}

function parseHeader(bytes: Uint8Array, bounds: Required<SafetensorsLimits>): ParsedHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new SafetensorsError('the header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw new SafetensorsError('the header does not start with "{"');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SafetensorsError(`the header is not valid JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(json)) throw new SafetensorsError('the header is not a JSON object');
  const metadata = parseMetadata(json[METADATA_KEY]);
  const names = Object.keys(json).filter((key) => key !== METADATA_KEY);
  if (names.length > bounds.maxTensors) throw new SafetensorsError(`the header lists ${names.length} tensors, more than the limit of ${bounds.maxTensors}`);
  const entries = names.map((name) => parseEntry(name, json[name], bounds));
  return { entries, metadata, dataBytes: checkLayout(entries) };
}

function parseMetadata(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw new SafetensorsError(`"${METADATA_KEY}" must be an object of strings`);
  const metadata: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') throw new SafetensorsError(`"${METADATA_KEY}.${key}" must be a string, got ${describe(entry)}`);
    Object.defineProperty(metadata, key, { value: entry, enumerable: true, writable: true, configurable: true });
  }
  return metadata;
}

function parseEntry(name: string, value: unknown, bounds: Required<SafetensorsLimits>): HeaderEntry {
  const where = `tensor "${name}"`;
  if (name === '') throw new SafetensorsError('a tensor has an empty name');
  if (!isPlainObject(value)) throw new SafetensorsError(`${where}: must be an object with dtype, shape and data_offsets, got ${describe(value)}`);
  const extra = Object.keys(value).filter((key) => key !== 'dtype' && key !== 'shape' && key !== 'data_offsets');
  if (extra.length > 0) throw new SafetensorsError(`${where}: unknown field(s) ${extra.join(', ')}`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (!isSafetensorsDType(dtype)) {
    throw new SafetensorsError(`${where}: unknown dtype ${describe(dtype)} (known: ${Object.keys(SAFETENSORS_DTYPE_BYTES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) throw new SafetensorsError(`${where}: shape must be an array of non-negative integers, got ${describe(shape)}`);
  if (shape.length > bounds.maxRank) throw new SafetensorsError(`${where}: ${shape.length} dims, more than the limit of ${bounds.maxRank}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw new SafetensorsError(`${where}: data_offsets must be [begin, end] non-negative integers, got ${describe(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw new SafetensorsError(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
  let expected = BigInt(SAFETENSORS_DTYPE_BYTES[dtype]);
  for (const dim of shape as number[]) expected *= BigInt(dim);
  if (expected !== BigInt(end - begin)) {
    throw new SafetensorsError(`${where}: ${dtype} [${(shape as number[]).join(', ')}] needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return { name, dtype, shape: [...(shape as number[])], begin, end };
}

/** Checks that the tensors tile the data section without overlap or gap; returns its size. */
function checkLayout(entries: readonly HeaderEntry[]): number {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let end = 0;
  let previous: HeaderEntry | undefined;
  for (const entry of sorted) {
    if (entry.begin < end) {
      throw new SafetensorsError(`tensor "${entry.name}" [${entry.begin}, ${entry.end}) overlaps tensor "${previous?.name}" [${previous?.begin}, ${previous?.end})`);
    }
    if (entry.begin > end) throw new SafetensorsError(`data bytes [${end}, ${entry.begin}) before tensor "${entry.name}" belong to no tensor`);
    end = entry.end;
    previous = entry;
  }
  return end;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
