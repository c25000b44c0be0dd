import type { IncomingMessage } from 'node:http';

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
  /** The raw bytes, for requests that are neither JSON nor multipart. */
  raw: Buffer;
}

/** Thrown for a body the fake cannot read; the router answers 400 with its message. */
export class BodyError extends Error {}

/**
 * Reads a request body: JSON (`application/json`) or `multipart/form-data` with a
 * `payload_json` field and `files[n]` parts, the two forms discord.js sends.
 */
export async function readRequestBody(request: IncomingMessage): Promise<RequestBody> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const contentType = request.headers['content-type'] ?? '';
  if (raw.length === 0) return { json: undefined, files: [], raw };
  if (contentType.startsWith('application/json')) {
    return { json: parseJson(raw.toString('utf8'), 'body'), files: [], raw };
  }
  if (contentType.startsWith('multipart/form-data')) return readMultipart(raw, contentType);
  return { json: undefined, files: [], raw };
}

async function readMultipart(raw: Buffer, contentType: string): Promise<RequestBody> {
  // The platform's fetch Response parses multipart bodies; the fake only walks the parts.
  const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
  let json: unknown;
  const files: RecordedFile[] = [];
  for (const [field, value] of form.entries()) {
    if (typeof value === 'string') {
      if (field === 'payload_json') json = parseJson(value, 'payload_json');
      continue;
    }
    files.push({
      field,
      name: value.name,
      contentType: value.type || 'application/octet-stream',
      bytes: Buffer.from(await value.arrayBuffer()),
    });
  }
  return { json, files, raw };
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new BodyError(`${what} is not valid JSON`);
  }
}
