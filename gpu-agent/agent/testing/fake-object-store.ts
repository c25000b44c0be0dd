import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An object the fake store holds. */
export interface StoredObject {
  body: Buffer;
  contentType: string | undefined;
}

/** A request the fake store received: method, path and query (the part after `?`). */
export interface StoreRequest {
  method: string;
  path: string;
  query: string;
}

/**
 * Test helper: a real node:http server standing in for S3 behind presigned URLs. PUT stores the
 * body under the path, GET returns it (404 when absent). `intercept` may answer a request with a
 * status of its choice instead (a 503 to retry, a 403 for an expired URL).
 */
export interface FakeObjectStore {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly objects: Map<string, StoredObject>;
  readonly requests: StoreRequest[];
  /** Returns a status to answer with instead of serving the request, or undefined to serve it. */
  intercept: (request: StoreRequest) => number | undefined;
  close(): Promise<void>;
}

/** Starts a {@link FakeObjectStore} on a free port of 127.0.0.1. */
export async function startFakeObjectStore(): Promise<FakeObjectStore> {
  const objects = new Map<string, StoredObject>();
  const requests: StoreRequest[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const [path = '', query = ''] = (req.url ?? '').split('?');
      const request = { method: req.method ?? '', path, query };
      requests.push(request);
      const status = store.intercept(request);
      if (status !== undefined) {
        res.writeHead(status, { 'content-type': 'application/xml' }).end(`<Error><Code>Fake${status}</Code></Error>`);
      } else if (request.method === 'PUT') {
        objects.set(path, { body, contentType: req.headers['content-type'] });
        res.writeHead(200).end();
      } else {
        const object = objects.get(path);
        if (object === undefined) res.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code></Error>');
        else res.writeHead(200, { 'content-type': object.contentType ?? 'application/octet-stream' }).end(object.body);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const store: FakeObjectStore = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    objects,
    requests,
    intercept: () => undefined,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return store;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
