import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallLog, type CallKind, type RecordedCall, type RecordedFile, type WaitOptions } from './call-log.ts';
import { parseBody } from './request-body.ts';
import { callMethod, fileTypeOf, WEB_API_METHODS } from './web-api-methods.ts';
import { fileObject, viewObject, type SlackFileObject } from './wire-objects.ts';
import {
  defaultWorkspaceSeed,
  tsCounter,
  Workspace,
  type FakeFile,
  type FakeMessage,
  type FakeView,
  type WorkspaceSeed,
} from './workspace.ts';

/** Options for {@link FakeSlack.start}. */
export interface FakeSlackOptions {
  /** The team, bot, users and channels; default {@link defaultWorkspaceSeed}. */
  seed?: WorkspaceSeed;
  /** Where message timestamps come from; default {@link tsCounter}. */
  nextTs?: () => string;
}

/** A file a user put into a `file_input` element, for {@link FakeSlack.addUserFile}. */
export interface UserFileInput {
  name: string;
  bytes: Uint8Array;
  /** Default: derived from the name's extension. */
  mimetype?: string;
  title?: string;
  /** Who uploaded it; default the first admin of the workspace. */
  userId?: string;
}

/** The interaction a response_url belongs to: who acted, where, and on which message. */
export interface ResponseUrlSource {
  userId: string;
  channelId: string | undefined;
  messageTs: string | undefined;
}

/** What a browser without a session gets instead of a private file. */
const SIGN_IN_PAGE = '<!DOCTYPE html><html><body>Sign in to Slack</body></html>';

/** How many times Slack lets an app post to one response_url. */
const RESPONSE_URL_USES = 5;

/**
 * A fake Slack on 127.0.0.1 that speaks the Web API over HTTP, so that the real @slack/web-api
 * client (and Bolt on top of it) runs unchanged against it: point the client at {@link apiUrl}.
 * It also serves the upload URLs of files.uploadV2, the response_url endpoints of interactions,
 * and the `url_private` downloads of files. Every request is recorded for assertions.
 */
export class FakeSlack {
  readonly workspace: Workspace;
  private readonly log = new CallLog();
  private readonly failures = new Map<string, string[]>();
  private readonly responseUrls = new Map<string, { source: ResponseUrlSource; uses: number }>();
  private origin = '';

  private constructor(
    options: FakeSlackOptions,
    private readonly server: Server,
  ) {
    this.workspace = new Workspace(options.seed ?? defaultWorkspaceSeed(), options.nextTs ?? tsCounter());
  }

  /** Starts a fake on an OS-assigned port of 127.0.0.1. */
  static async start(options: FakeSlackOptions = {}): Promise<FakeSlack> {
    const server = createServer();
    const fake = new FakeSlack(options, server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      fake.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(error));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    fake.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    return fake;
  }

  /** The fake's origin, with a trailing slash. */
  get baseUrl(): string {
    return this.origin;
  }

  /** The Web API base URL, ending in `/api/`: pass it as `clientOptions.slackApiUrl`. */
  get apiUrl(): string {
    return `${this.origin}api/`;
  }

  /** The bot token the fake accepts. */
  get botToken(): string {
    return this.workspace.bot.token;
  }

  /** Every request received so far, in order, optionally only those to `method`. */
  calls(method?: string): RecordedCall[] {
    return this.log.list(method);
  }

  /**
   * The first call to `method` (already received or still to come) that satisfies `predicate`.
   * `method` is a Web API method name, or `upload`, `response_url` or `file_download`. On
   * timeout it rejects with a list of the calls received.
   */
  waitForCall(
    method: string,
    predicate?: (call: RecordedCall) => boolean,
    options?: WaitOptions,
  ): Promise<RecordedCall> {
    return this.log.waitFor(method, predicate, options);
  }

  /** Makes the next call to `method` answer `{ ok: false, error }` (calls queue up in order). */
  failNext(method: string, error: string): void {
    const queue = this.failures.get(method) ?? [];
    queue.push(error);
    this.failures.set(method, queue);
  }

  /**
   * Stores a file as if a user had put it into a `file_input`; returns the file object a
   * view_submission carries. Its `url_private` serves the bytes to holders of the bot token.
   */
  addUserFile(input: UserFileInput): SlackFileObject {
    const ws = this.workspace;
    const types = fileTypeOf(input.name);
    const admin = [...ws.users.values()].find((u) => u.isAdmin && !u.isBot);
    const file: FakeFile = {
      id: ws.nextId('F'),
      name: input.name,
      title: input.title ?? input.name,
      filetype: types.filetype,
      mimetype: input.mimetype ?? types.mimetype,
      size: input.bytes.length,
      bytes: Buffer.from(input.bytes),
      user: input.userId ?? admin?.id ?? ws.bot.userId,
      created: ws.nowSeconds(),
      shares: [],
    };
    ws.files.set(file.id, file);
    return fileObject(this.origin, ws, file);
  }

  /** A trigger_id for an interaction by `userId`; views.open accepts each one once. */
  issueTrigger(userId: string): string {
    const id = this.workspace.nextId('trigger.');
    this.workspace.triggers.set(id, { userId, used: false });
    return id;
  }

  /** A response_url for an interaction; posts to it are recorded as `response_url` calls. */
  issueResponseUrl(source: ResponseUrlSource): string {
    const id = this.workspace.nextId('R');
    this.responseUrls.set(id, { source, uses: 0 });
    return `${this.origin}response/${this.workspace.teamId}/${id}`;
  }

  /** A conversation's history, oldest first. */
  messages(channelId: string): FakeMessage[] {
    return this.workspace.messages(channelId);
  }

  /** A message of a conversation, if it exists. */
  message(channelId: string, ts: string): FakeMessage | undefined {
    return this.workspace.message(channelId, ts);
  }

  /** A file the fake holds (uploaded by the app or added with {@link addUserFile}). */
  file(id: string): FakeFile | undefined {
    return this.workspace.files.get(id);
  }

  /** A view the app opened. */
  view(id: string): FakeView | undefined {
    return this.workspace.views.get(id);
  }

  /** The view object of an opened view, with the given input state. */
  viewPayload(view: FakeView, values: Record<string, Record<string, unknown>>): Record<string, unknown> {
    return viewObject(this.workspace, view, values);
  }

  /** Stops the server and drops open connections. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const parts = url.pathname.split('/').filter((p) => p !== '');
    const token = bearerToken(req);
    if (parts[0] === 'api' && parts.length === 2) {
      return this.handleApi(parts[1] as string, req, url, res);
    }
    if (req.method === 'POST' && parts[0] === 'upload' && parts.length === 3) {
      return this.handleUpload(parts[2] as string, req, url, res, token);
    }
    if (req.method === 'POST' && parts[0] === 'response' && parts.length === 3) {
      return this.handleResponseUrl(parts[2] as string, req, url, res, token);
    }
    if (req.method === 'GET' && parts[0] === 'files-pri') {
      return this.handlePrivateFile(parts[1] ?? '', url, res, token);
    }
    if (req.method === 'GET' && parts[0] === 'signin') {
      return send(res, 200, 'text/html; charset=utf-8', SIGN_IN_PAGE);
    }
    send(res, 404, 'text/plain', 'not found');
  }

  private async handleApi(method: string, req: IncomingMessage, url: URL, res: ServerResponse): Promise<void> {
    let args: Record<string, unknown> = Object.fromEntries(url.searchParams);
    let files: RecordedFile[] = [];
    let result: Record<string, unknown> | undefined;
    try {
      const parsed = await parseBody(req);
      args = { ...args, ...parsed.fields };
      files = parsed.files;
    } catch {
      result = { ok: false, error: 'invalid_form_data' };
    }
    const { token: argToken, ...rest } = args;
    const token = bearerToken(req) ?? (typeof argToken === 'string' ? argToken : undefined);
    result ??= this.answer(method, rest, token);
    this.record('api', method, url, rest, files, token, result);
    send(res, 200, 'application/json; charset=utf-8', JSON.stringify(result));
  }

  private answer(
    method: string,
    args: Record<string, unknown>,
    token: string | undefined,
  ): Record<string, unknown> {
    const handler = WEB_API_METHODS.get(method);
    if (handler === undefined) return { ok: false, error: 'unknown_method' };
    if (token === undefined) return { ok: false, error: 'not_authed' };
    if (token !== this.botToken) return { ok: false, error: 'invalid_auth' };
    const failure = this.failures.get(method)?.shift();
    if (failure !== undefined) return { ok: false, error: failure };
    try {
      return callMethod(handler, args, { ws: this.workspace, baseUrl: this.origin });
    } catch (error) {
      return { ok: false, error: 'fatal_error', detail: String(error) };
    }
  }

  private async handleUpload(
    fileId: string,
    req: IncomingMessage,
    url: URL,
    res: ServerResponse,
    token: string | undefined,
  ): Promise<void> {
    const { fields, files } = await parseBody(req);
    const pending = this.workspace.pendingUploads.get(fileId);
    const bytes = files[0]?.bytes;
    if (pending === undefined || bytes === undefined) {
      this.record('upload', 'upload', url, fields, files, token, { ok: false, error: 'not_found' });
      return send(res, 404, 'text/plain', 'not found');
    }
    pending.bytes = bytes;
    this.record('upload', 'upload', url, { file_id: fileId, ...fields }, files, token, { ok: true });
    send(res, 200, 'text/plain', `OK - ${bytes.length}`);
  }

  private async handleResponseUrl(
    id: string,
    req: IncomingMessage,
    url: URL,
    res: ServerResponse,
    token: string | undefined,
  ): Promise<void> {
    const { fields } = await parseBody(req);
    const entry = this.responseUrls.get(id);
    let error: string | undefined;
    if (entry === undefined) error = 'expired_url';
    else if (entry.uses >= RESPONSE_URL_USES) error = 'used_url';
    else {
      entry.uses += 1;
      error = this.applyResponse(entry.source, fields);
    }
    const response = error === undefined ? { ok: true } : { ok: false, error };
    this.record('response_url', 'response_url', url, fields, [], token, response);
    if (error === undefined) send(res, 200, 'application/json; charset=utf-8', JSON.stringify(response));
    else send(res, error === 'no_text' ? 400 : 404, 'text/plain', error);
  }

  /** Does what a response_url post asks; returns Slack's error, if any. */
  private applyResponse(source: ResponseUrlSource, body: Record<string, unknown>): string | undefined {
    const ws = this.workspace;
    const original =
      source.channelId !== undefined && source.messageTs !== undefined
        ? ws.message(source.channelId, source.messageTs)
        : undefined;
    if (body.delete_original === true) {
      if (original !== undefined) ws.deleteMessage(original.channel, original.ts);
      return undefined;
    }
    const text = typeof body.text === 'string' ? body.text : undefined;
    const blocks = Array.isArray(body.blocks) ? (body.blocks as unknown[]) : undefined;
    if (text === undefined && blocks === undefined) return 'no_text';
    if (body.replace_original === true && original !== undefined) {
      original.text = text ?? '';
      original.blocks = blocks;
      original.edited = true;
    } else if (body.response_type === 'in_channel' && source.channelId !== undefined) {
      ws.appendMessage({ channel: source.channelId, text: text ?? '', blocks, threadTs: undefined, fileIds: [] });
    } else if (source.channelId !== undefined) {
      // An ephemeral answer never joins the history, but takes a message timestamp as Slack's does.
      ws.nextTs();
    }
    return undefined;
  }

  /**
   * Serves a file's bytes to holders of the bot token. Like Slack, a request without it is
   * redirected to a sign-in page that answers 200 with HTML, not with an error status.
   */
  private handlePrivateFile(key: string, url: URL, res: ServerResponse, token: string | undefined): void {
    const prefix = `${this.workspace.teamId}-`;
    const file = key.startsWith(prefix) ? this.workspace.files.get(key.slice(prefix.length)) : undefined;
    const authorized = token === this.botToken;
    const fileId = file?.id ?? key;
    this.record('file_download', 'file_download', url, { file: fileId }, [], token, {
      ok: file !== undefined && authorized,
      ...(file === undefined ? { error: 'file_not_found' } : authorized ? {} : { error: 'not_authed' }),
    });
    if (file === undefined) return send(res, 404, 'text/plain', 'not found');
    if (!authorized) {
      res.writeHead(302, { location: `${this.origin}signin?redir=${encodeURIComponent(url.pathname)}` });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': file.mimetype, 'content-length': file.bytes.length });
    res.end(file.bytes);
  }

  private record(
    kind: CallKind,
    method: string,
    url: URL,
    args: Record<string, unknown>,
    files: RecordedFile[],
    token: string | undefined,
    response: Record<string, unknown>,
  ): void {
    this.log.add({ kind, method, url: url.pathname, args, files, token, response });
  }
}

function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType });
  res.end(body);
}
