import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { hostPortProblem, joinHostPort, splitHostPort } from '../../config/address.ts';

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  /** host:port to listen on; port 0 picks a free port. */
  listen: string;
  /** Also export prom-client's process metrics (CPU, memory, event loop lag, GC); default true. */
  processMetrics?: boolean;
}

/** A running metrics endpoint. */
export interface MetricsServer {
  /** The registry this server exports; register metrics on it. It is this server's own, never prom-client's global one. */
  registry: Registry;
  /** host:port of the bound socket (the chosen port when `listen` asked for port 0). */
  address: string;
  /** `http://host:port/metrics`. */
  url: string;
  /** Stops listening and closes open connections. */
  stop(): Promise<void>;
}

/**
 * Serves a fresh prom-client registry in the Prometheus text format at `GET /metrics`; any other
 * path answers 404. Each server has its own registry, so several nodes or agents in one process
 * export their own metrics side by side. Rejects with an error naming the address when it cannot
 * bind (for example when the port is in use).
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const problem = hostPortProblem(options.listen, { allowPortZero: true });
  if (problem !== undefined) throw new Error(`cannot serve metrics on ${JSON.stringify(options.listen)}: it ${problem}`);
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: metrics are at /metrics\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('use GET\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(request.method === 'HEAD' ? undefined : text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`collecting metrics failed: ${(error as Error).message}\n`),
    );
  });
  const { host, port } = splitHostPort(options.listen);
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void => {
      const reason = error.code === 'EADDRINUSE' ? 'the address is already in use (pick another metrics port)' : error.message;
      reject(new Error(`cannot serve metrics on ${options.listen}: ${reason}`, { cause: error }));
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const address = joinHostPort(host, bound);
  let stopped: Promise<void> | undefined;
  return {
    registry,
    address,
    url: `http://${address}/metrics`,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
