/** A file part of a `multipart/form-data` body. */
export interface FormFilePart {
  field: string;
  /** The part's filename. */
  name: string;
  /** The part's content type; empty if it named none. */
  type: string;
  bytes: Buffer;
}

/** The parts of a `multipart/form-data` body, in order: string fields and file parts. */
export interface FormParts {
  fields: [field: string, value: string][];
  files: FormFilePart[];
}

/** Splits a `multipart/form-data` body into its parts; the platform's Fetch `formData()` does the parsing. */
export async function formParts(bytes: Buffer, contentType: string): Promise<FormParts> {
  const form = await new Response(bytes, { headers: { 'content-type': contentType } }).formData();
  const parts: FormParts = { fields: [], files: [] };
  for (const [field, value] of form) {
    if (typeof value === 'string') parts.fields.push([field, value]);
    else parts.files.push({ field, name: value.name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) });
  }
  return parts;
}
