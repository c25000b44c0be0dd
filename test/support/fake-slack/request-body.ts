import type { IncomingMessage } from 'node:http';
import type { RecordedFile } from './call-log.ts';

/** A request body split into its fields and its file parts. */
export interface ParsedBody {
  fields: Record<string, unknown>;
  files: RecordedFile[];
}

/** Arguments that clients send as JSON text inside form-encoded or multipart bodies. */
const JSON_VALUED_FIELDS = new Set(['blocks', 'attachments', 'view', 'files', 'metadata', 'file_uploads']);

/** Reads a whole request body. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Parses a body the way Slack does by its content type: JSON, form-encoded or multipart; any
 * other type is one raw file part (what an upload URL accepts). JSON-valued arguments such as
 * `blocks` and `view` are decoded when they arrive as text.
 */
export async function parseBody(contentType: string | undefined, bytes: Buffer): Promise<ParsedBody> {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/json') {
    const parsed: unknown = bytes.length === 0 ? {} : JSON.parse(bytes.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('a JSON body must be an object');
    }
    return { fields: parsed as Record<string, unknown>, files: [] };
  }
  if (type === 'application/x-www-form-urlencoded') {
    const fields: Record<string, unknown> = {};
    for (const [key, value] of new URLSearchParams(bytes.toString('utf8'))) {
      fields[key] = decodeJsonField(key, value);
    }
    return { fields, files: [] };
  }
  if (type === 'multipart/form-data') return parseMultipart(contentType ?? '', bytes);
  return { fields: {}, files: bytes.length === 0 ? [] : [{ field: '', filename: '', bytes }] };
}

async function parseMultipart(contentType: string, bytes: Buffer): Promise<ParsedBody> {
  const form = await new Request('http://fake-slack.invalid/', {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: bytes,
  }).formData();
  const fields: Record<string, unknown> = {};
  const files: RecordedFile[] = [];
  for (const [key, value] of form) {
    if (typeof value === 'string') {
      fields[key] = decodeJsonField(key, value);
      continue;
    }
    files.push({ field: key, filename: value.name, bytes: Buffer.from(await value.arrayBuffer()) });
  }
  return { fields, files };
}

function decodeJsonField(key: string, value: string): unknown {
  if (!JSON_VALUED_FIELDS.has(key)) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
