import type { IncomingMessage } from 'node:http';
import { buffer } from 'node:stream/consumers';
import { formParts } from '../form-parts.ts';

/** A file part of a multipart request. */
export interface RecordedFile {
  /** The form field, `files[0]` for the first file. */
  field: string;
  name: string;
  contentType: string;
  bytes: Buffer;
}

/** A request body as the fake reads it. */
export interface RequestBody {
  /** The JSON body, or the decoded `payload_json` field of a multipart body; undefined if none. */
  json: unknown;
  files: RecordedFile[];
}

/** Thrown for a body the fake cannot read; the router answers 400 with its message. */
export class BodyError extends Error {}

/**
 * Reads a request body: JSON (`application/json`) or `multipart/form-data` with a
 * `payload_json` field and `files[n]` parts, the two forms discord.js sends.
 */
export async function readRequestBody(request: IncomingMessage): Promise<RequestBody> {
  const raw = await buffer(request);
  const contentType = request.headers['content-type'] ?? '';
  if (raw.length === 0) return { json: undefined, files: [] };
  if (contentType.startsWith('application/json')) {
    return { json: parseJson(raw.toString('utf8'), 'body'), files: [] };
  }
  if (contentType.startsWith('multipart/form-data')) return readMultipart(raw, contentType);
  return { json: undefined, files: [] };
}

async function readMultipart(raw: Buffer, contentType: string): Promise<RequestBody> {
  const parts = await formParts(raw, contentType);
  let json: unknown;
  for (const [field, value] of parts.fields) {
    if (field === 'payload_json') json = parseJson(value, 'payload_json');
  }
  const files = parts.files.map((part) => ({
    field: part.field,
    name: part.name,
    contentType: part.type || 'application/octet-stream',
    bytes: part.bytes,
  }));
  return { json, files };
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new BodyError(`${what} is not valid JSON`);
  }
}
