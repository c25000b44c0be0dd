import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyError, readRequestBody, type RecordedFile, type RequestBody } from './request-body.ts';
import { RecordList } from '../record-list.ts';

/** The API version the fake speaks; REST paths start with `/api/v10`. */
export const API_PREFIX = '/api/v10';

/**
 * An error answered in Discord's JSON error shape: `{ message, code }` with an HTTP status.
 * Route handlers throw it; the router turns it into the response.
 */
export class DiscordApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** What a handler answers: JSON (any value), raw bytes, or nothing (204). */
export type RouteResult =
  | { status: number; json: unknown }
  | { status: number; bytes: Buffer; contentType: string }
  | { status: 204 };

/** What a handler gets: the matched parameters, the query and the read body. */
export interface RouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
  body: RequestBody;
}

/** One endpoint. `auth: 'bot'` routes require `Authorization: Bot <token>`. */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A path below the API prefix with `:name` parameters, e.g. `/channels/:channel`. */
  pattern: string;
  auth: 'bot' | 'none';
  /** Routes outside the versioned API (attachment downloads) set this. */
  unversioned?: boolean;
  handle: (context: RouteContext) => RouteResult | Promise<RouteResult>;
}

/** One HTTP request the fake received, with what it answered. */
export interface RecordedRequest {
  /** Order of arrival, from 0. */
  seq: number;
  method: string;
  /** The path below `/api/v10` (attachment downloads keep their full path). */
  path: string;
  /** The pattern of the route that served it; undefined for unknown routes. */
  route: string | undefined;
  query: Record<string, string>;
  /** Whether the request carried the bot's token. */
  authorized: boolean;
  /** JSON body, or the decoded `payload_json` of a multipart body. */
  json: unknown;
  files: RecordedFile[];
  status: number;
  /** The JSON the fake answered, if any. */
  response: unknown;
}

/** A 200 answer with a JSON body. */
export const ok = (json: unknown): RouteResult => ({ status: 200, json });
/** A 204 answer. */
export const noContent: RouteResult = { status: 204 };

interface CompiledRoute {
  route: Route;
  regex: RegExp;
  names: string[];
}

/**
 * Matches requests against a table of routes, checks the bot token, reads bodies,
 * records every request, and answers unknown routes with Discord's 404 shape (and logs
 * them, so a test sees which endpoint the fake is missing).
 */
export class HttpRouter {
  readonly requests = new RecordList<RecordedRequest>('REST request', describeRequest);
  private readonly routes: CompiledRoute[];

  constructor(
    routes: Route[],
    private readonly token: string,
    private readonly log: (message: string) => void,
  ) {
    this.routes = routes.map(compile);
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const method = request.method ?? 'GET';
    const authorized = request.headers.authorization === `Bot ${this.token}`;
    const versioned = url.pathname.startsWith(`${API_PREFIX}/`);
    const path = versioned ? url.pathname.slice(API_PREFIX.length) : url.pathname;
    const match = this.match(method, path, versioned);
    let body: RequestBody = { json: undefined, files: [] };
    let result: RouteResult;
    try {
      body = await readRequestBody(request);
      if (match === undefined) {
        this.log(`fake-discord: no route for ${method} ${url.pathname}`);
        throw new DiscordApiError(404, 0, '404: Not Found');
      }
      if (match.route.auth === 'bot' && !authorized) {
        throw new DiscordApiError(401, 0, '401: Unauthorized');
      }
      const context = { params: match.params, query: url.searchParams, body };
      result = await match.route.handle(context);
    } catch (error) {
      result = errorResult(error);
      if (result.status >= 500) this.log(`fake-discord: ${method} ${url.pathname} failed: ${String(error)}`);
    }
    this.requests.push({
      seq: this.requests.length,
      method,
      path,
      route: match?.route.pattern,
      query: Object.fromEntries(url.searchParams),
      authorized,
      json: body.json,
      files: body.files,
      status: result.status,
      response: 'json' in result ? result.json : undefined,
    });
    send(response, result);
  }

  private match(
    method: string,
    path: string,
    versioned: boolean,
  ): { route: Route; params: Record<string, string> } | undefined {
    for (const { route, regex, names } of this.routes) {
      if (route.method !== method || (route.unversioned === true) === versioned) continue;
      const found = regex.exec(path);
      if (found === null) continue;
      const params = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1] ?? '')]));
      return { route, params };
    }
    return undefined;
  }
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.pattern
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(segment.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { route, regex: new RegExp(`^${source}$`), names };
}

function errorResult(error: unknown): RouteResult {
  if (error instanceof DiscordApiError) {
    return { status: error.status, json: { message: error.message, code: error.code } };
  }
  if (error instanceof BodyError) {
    return { status: 400, json: { message: 'Invalid Form Body', code: 50035, errors: error.message } };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, json: { message: `fake-discord internal error: ${message}`, code: 0 } };
}

function send(response: ServerResponse, result: RouteResult): void {
  if ('bytes' in result) {
    response.writeHead(result.status, {
      'content-type': result.contentType,
      'content-length': result.bytes.length,
    });
    response.end(result.bytes);
  } else if ('json' in result) {
    const text = JSON.stringify(result.json);
    response.writeHead(result.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    response.end(text);
  } else {
    response.writeHead(204);
    response.end();
  }
}

function describeRequest(r: RecordedRequest): string {
  const files = r.files.length > 0 ? ` files=[${r.files.map((f) => f.name).join(', ')}]` : '';
  const body = r.json === undefined ? '' : ` ${JSON.stringify(r.json)}`;
  return `${r.method} ${r.path} -> ${r.status}${files}${body}`;
}
