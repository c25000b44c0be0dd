/**
 * Downloads the bytes at `url` (a result's presigned URL, a chat platform's file). A refusal
 * becomes `downloading ${what} failed: HTTP ${status}`, so `what` names the file and where it
 * comes from, e.g. `photo.png from Discord`.
 */
export async function fetchBytes(url: string, what: string, signal: AbortSignal, headers?: Record<string, string>): Promise<Uint8Array> {
  const response = await fetch(url, headers === undefined ? { signal } : { headers, signal });
  if (!response.ok) throw new Error(`downloading ${what} failed: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
