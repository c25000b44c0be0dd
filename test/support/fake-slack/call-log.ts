import { RecordList, truncate, type WaitOptions } from '../record-list.ts';

/**
 * Where a request to the fake arrived: a Web API method, the upload URL that
 * files.getUploadURLExternal handed out, a response_url, or a `url_private` download.
 */
export type CallKind = 'api' | 'upload' | 'response_url' | 'file_download';

/** A file part of a multipart request, or the raw body posted to an upload URL. */
export interface RecordedFile {
  field: string;
  filename: string;
  bytes: Buffer;
}

/** One request the fake received, with what it answered. */
export interface RecordedCall {
  /** Order of arrival, from 0. */
  seq: number;
  kind: CallKind;
  /**
   * The Web API method name (`chat.postMessage`, also for unknown methods); for the other
   * kinds the kind itself (`upload`, `response_url`, `file_download`).
   */
  method: string;
  /** The path requested. */
  url: string;
  /** Parsed arguments (JSON, form or multipart fields), JSON-valued fields decoded, `token` removed. */
  args: Record<string, unknown>;
  files: RecordedFile[];
  /** The token the caller presented (Authorization header or `token` argument), if any. */
  token: string | undefined;
  /** What the fake answered: the Web API result, or a short note for the other kinds. */
  response: Record<string, unknown>;
}

export type { WaitOptions } from '../record-list.ts';

/** The ordered record of every request, with waiting for one that matches. */
export class CallLog {
  private readonly calls = new RecordList<RecordedCall>('call', (c) => {
    const outcome = c.response.ok === false ? ` -> ${String(c.response.error)}` : '';
    return `${c.method}${outcome} ${truncate(JSON.stringify(c.args), 200)}`;
  });

  /** Appends a call (its `seq` is assigned here) and wakes the waiters it satisfies. */
  add(call: Omit<RecordedCall, 'seq'>): RecordedCall {
    return this.calls.push({ seq: this.calls.length, ...call });
  }

  /** The calls so far, in order of arrival, optionally only those to `method`. */
  list(method?: string): RecordedCall[] {
    const all = this.calls.all();
    return method === undefined ? all : all.filter((c) => c.method === method);
  }

  /**
   * The first call to `method` (already recorded or still to come) that satisfies `predicate`.
   * Rejects after the timeout with a message that lists every call received.
   */
  waitFor(method: string, predicate: (call: RecordedCall) => boolean = () => true, options: WaitOptions = {}): Promise<RecordedCall> {
    return this.calls.waitFor((call) => call.method === method && predicate(call), { what: `${method} call`, ...options });
  }
}
