import type { IncomingMessage } from 'node:http';
import { buffer } from 'node:stream/consumers';
import type { RecordedFile } from './call-log.ts';
import { formParts } from '../form-parts.ts';

/** A request body split into its fields and its file parts. */
export interface ParsedBody {
  fields: Record<string, unknown>;
  files: RecordedFile[];
}

/** Arguments that clients send as JSON text inside form-encoded or multipart bodies. */
const JSON_VALUED_FIELDS = new Set(['blocks', 'attachments', 'view', 'files', 'metadata', 'file_uploads']);

/**
 * Reads a request's body and parses it the way Slack does by its content type: JSON,
 * form-encoded or multipart; any other type is one raw file part (what an upload URL accepts).
 * JSON-valued arguments such as `blocks` and `view` are decoded when they arrive as text.
 */
export async function parseBody(req: IncomingMessage): Promise<ParsedBody> {
  const contentType = req.headers['content-type'];
  const bytes = await buffer(req);
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
  const parts = await formParts(bytes, contentType);
  const fields: Record<string, unknown> = {};
  for (const [key, value] of parts.fields) fields[key] = decodeJsonField(key, value);
  const files = parts.files.map((part) => ({ field: part.field, filename: part.name, bytes: part.bytes }));
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
