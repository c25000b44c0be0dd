import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { ClusterBackend } from './backend.ts';
import { createClusterService } from './cluster-service.ts';

/** A gRPC service ready to be added to a server: its definition and its handlers. */
export interface GrpcServiceBinding {
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
  /** Called when the server starts to close: ends the service's long-lived calls (streams) so closing need not wait for them. */
  close?(): void;
}

/** PEM-encoded material for mutual TLS: every caller must present a certificate signed by `ca`. */
export interface GrpcServerTls {
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
}

/** Options of {@link startGrpcServer}. */
export interface GrpcServerOptions {
  /** host:port to bind; port 0 picks a free port. */
  listen: string;
  /** The Raft peer service (`GrpcTransport.service`). */
  raft: GrpcServiceBinding;
  /** Backend of the client-facing Cluster service. */
  cluster: ClusterBackend;
  /** Mutual TLS for every connection (peers and clients); plaintext when absent. */
  tls?: GrpcServerTls;
  logger: Logger;
  /** Largest gRPC message received or sent, in bytes. Larger ones fail with RESOURCE_EXHAUSTED. */
  maxMessageBytes: number;
  /** Further services served on the same port (agents, watchers...). */
  services?: GrpcServiceBinding[];
  /** How long close() lets running calls finish before cutting them (default 2000 ms). */
  shutdownGraceMs?: number;
}

/** A started server. */
export interface GrpcServerHandle {
  /** The bound port (the chosen one when `listen` asked for port 0). */
  port: number;
  /** host:port of the bound socket. */
  address: string;
  /** Stops accepting calls, ends streams of services that can end them, lets running calls finish within the grace period, then cuts the rest. */
  close(): Promise<void>;
}

function splitListen(listen: string): { host: string; port: number } {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(listen);
  const port = match ? Number(match[2]) : -1;
  if (!match || port > 65535) throw new Error(`cannot listen on "${listen}": expected host:port, for example 127.0.0.1:7001 (port 0 picks a free one)`);
  return { host: match[1]!, port };
}

function credentials(tls: GrpcServerTls | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(
    Buffer.from(tls.ca),
    [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }],
    true,
  );
}

/**
 * Starts one gRPC server for a node: the Raft peer service, the Cluster client service and any
 * extra services, on one port. Rejects with an error naming the address when it cannot bind
 * (for example when the port is in use).
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServerHandle> {
  const { host } = splitListen(options.listen);
  const logger = options.logger.child({ component: 'grpc-server' });
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': options.maxMessageBytes,
    'grpc.keepalive_time_ms': 20_000,
    'grpc.keepalive_timeout_ms': 10_000,
  });
  server.addService(options.raft.definition, options.raft.implementation);
  const cluster = createClusterService({ backend: options.cluster, logger: options.logger });
  server.addService(cluster.definition, cluster.implementation);
  for (const service of options.services ?? []) server.addService(service.definition, service.implementation);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(options.listen, credentials(options.tls), (error, boundPort) => {
      if (!error) return resolve(boundPort);
      const inUse = /EADDRINUSE/.test(error.message);
      reject(
        new Error(
          inUse
            ? `cannot listen on ${options.listen}: the address is already in use (is another node running there? pick another --listen port)`
            : `cannot listen on ${options.listen}: ${error.message}`,
          { cause: error },
        ),
      );
    });
  });
  const address = `${host}:${port}`;
  logger.info({ address, tls: Boolean(options.tls) }, 'gRPC server listening');

  let closing: Promise<void> | undefined;
  const graceMs = options.shutdownGraceMs ?? 2000;
  return {
    port,
    address,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        for (const service of [options.raft, ...(options.services ?? [])]) service.close?.();
        const timer = setTimeout(() => {
          logger.warn({ address, graceMs }, 'calls still running after the grace period; cutting them');
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return closing;
    },
  };
}
