import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { loadProtos } from '../../proto/load.ts';
import type { Message, NodeId } from '../raft/types.ts';
import type { Transport, TransportHandler } from '../server/backend.ts';
import type { GrpcServiceBinding } from '../server/grpc-server.ts';
import { LogRateLimiter } from './log-rate-limiter.ts';
import { PeerStream } from './peer-stream.ts';
import { batchedSize, isWireMessageType, raftMessageSize } from './raft-message-codec.ts';
import { PEER_METADATA, RaftService } from './raft-service.ts';
import { streamSnapshot } from './snapshot-sender.ts';

/** PEM material for mutual TLS between peers. */
export interface GrpcTransportTls {
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
}

/** Options of {@link GrpcTransport}. */
export interface GrpcTransportOptions {
  selfId: NodeId;
  clusterId: string;
  handler: TransportHandler;
  logger: Logger;
  /** Mutual TLS to peers (their servers must require client certificates from the same CA). */
  tls?: GrpcTransportTls;
  /** Snapshot data bytes per InstallSnapshot chunk; at most maxMessageBytes - 1 KiB. */
  snapshotChunkBytes: number;
  /** Largest gRPC message; larger Raft messages are dropped with a log line (lower Raft's maxSizePerMsg). */
  maxMessageBytes: number;
  /** Messages queued on one peer's stream beyond which more are dropped (default 4096). */
  maxQueuedMessages?: number;
  /** Bytes queued on one peer's stream beyond which more are dropped (default 64 MiB). */
  maxQueuedBytes?: number;
  /** Delay before reopening a failed stream: doubles from `initialMs` up to `maxMs`, with jitter (default 50 / 1000). */
  reconnectBackoff?: { initialMs: number; maxMs: number };
  /** Clock in ms (default Date.now). */
  now?: () => number;
  /** Randomness in [0, 1) for backoff jitter (default Math.random). */
  random?: () => number;
  /** Least time between two log lines about the same peer and problem (default 60 s). */
  logIntervalMs?: number;
}

interface Peer {
  id: NodeId;
  address: string;
  client: grpc.Client | undefined;
  stream: PeerStream | undefined;
  /** Consecutive failed streams. */
  failures: number;
  /** No new stream before this time (ms). */
  retryAt: number;
  snapshot: AbortController | undefined;
  /** send() call that last reported this peer unreachable. */
  reportedIn: number;
}

/**
 * The gRPC implementation of {@link Transport}, both directions.
 *
 * Outbound: one long-lived SendBatch stream per peer, opened on the first message (lazy) and
 * reopened after a failure with exponential backoff and jitter. `send` never waits: it sizes and checks
 * each message and queues it in order; the messages of one send() call, and those that queue up
 * while a batch is being written, are encoded once, straight into one RaftBatch buffer. Messages
 * must not be changed after send(). When the peer's queue is over its bounds, the peer
 * is down or backing off, or the message is larger than maxMessageBytes, the message is dropped and
 * the handler hears `unreachable(peer)` (Raft retransmits). `snap` messages are streamed in chunks
 * through InstallSnapshot on a call of their own and end in `snapshotSent(peer, ok)`. Handler
 * callbacks never run inside `send`.
 *
 * Inbound: {@link GrpcTransport.service} is the Raft service to add to the node's gRPC server.
 */
export class GrpcTransport implements Transport {
  /** The Raft service (peer traffic into this node), for startGrpcServer's `raft` option. */
  readonly service: GrpcServiceBinding;
  readonly #options: GrpcTransportOptions;
  readonly #logger: Logger;
  readonly #limiter: LogRateLimiter;
  readonly #inbound: RaftService;
  readonly #peers = new Map<NodeId, Peer>();
  readonly #sendPath: string;
  readonly #installSnapshot;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #credentials: grpc.ChannelCredentials;
  readonly #maxQueuedMessages: number;
  readonly #maxQueuedBytes: number;
  readonly #pendingUnreachable = new Set<NodeId>();
  /** Streams written to during the current send() call, flushed at its end. */
  readonly #touched: PeerStream[] = [];
  #sendCount = 0;
  #closed = false;

  constructor(options: GrpcTransportOptions) {
    if (!Number.isSafeInteger(options.maxMessageBytes) || options.maxMessageBytes < 4096) {
      throw new Error(`maxMessageBytes must be an integer of at least 4096, got ${options.maxMessageBytes}`);
    }
    if (!Number.isSafeInteger(options.snapshotChunkBytes) || options.snapshotChunkBytes < 1 || options.snapshotChunkBytes > options.maxMessageBytes - 1024) {
      throw new Error(
        `snapshotChunkBytes must be between 1 and maxMessageBytes - 1024 (${options.maxMessageBytes - 1024}), got ${options.snapshotChunkBytes}`,
      );
    }
    this.#options = options;
    this.#logger = options.logger.child({ component: 'grpc-transport', nodeId: options.selfId });
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#limiter = new LogRateLimiter(this.#now, options.logIntervalMs ?? 60_000);
    this.#maxQueuedMessages = options.maxQueuedMessages ?? 4096;
    this.#maxQueuedBytes = options.maxQueuedBytes ?? 64 * 1024 * 1024;
    this.#inbound = new RaftService({
      selfId: options.selfId,
      clusterId: options.clusterId,
      handler: options.handler,
      logger: this.#logger,
      now: this.#now,
      ...(options.logIntervalMs !== undefined ? { logIntervalMs: options.logIntervalMs } : {}),
    });
    this.service = this.#inbound.binding;
    const raft = loadProtos().raft.Raft.service;
    this.#sendPath = raft.SendBatch.path;
    this.#installSnapshot = raft.InstallSnapshot;
    const tls = options.tls;
    this.#credentials = tls
      ? grpc.credentials.createSsl(Buffer.from(tls.ca), Buffer.from(tls.key), Buffer.from(tls.cert))
      : grpc.credentials.createInsecure();
  }

  /** Queues messages for delivery; never throws and never waits. */
  send(messages: Message[]): void {
    if (this.#closed) return;
    const round = ++this.#sendCount;
    const now = this.#now();
    const selfId = this.#options.selfId;
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      if (message.to === selfId) continue;
      if (message.type === 'snap') {
        this.#sendSnapshot(message);
        continue;
      }
      if (!isWireMessageType(message.type)) continue;
      const peer = this.#peers.get(message.to);
      if (!peer) {
        this.#warn(`${message.to}|address`, `no address is known for peer ${message.to}; dropping its messages until setPeers names it`);
        this.#unreachable(message.to);
        continue;
      }
      const stream = peer.stream ?? this.#open(peer, now);
      if (!stream) {
        this.#drop(peer, round);
        continue;
      }
      if (stream.queuedMessages >= this.#maxQueuedMessages || stream.queuedBytes >= this.#maxQueuedBytes) {
        this.#warn(`${peer.id}|full`, `the stream to ${peer.id} at ${peer.address} is full (${stream.queuedMessages} messages, ${stream.queuedBytes} bytes queued); dropping messages until it drains`);
        this.#drop(peer, round);
        continue;
      }
      let size: number;
      try {
        size = raftMessageSize(message);
      } catch (error) {
        this.#logger.error({ err: error, to: peer.id, type: message.type }, 'cannot encode a raft message; dropping it');
        continue;
      }
      if (batchedSize(size) > this.#options.maxMessageBytes) {
        this.#warn(
          `${peer.id}|size`,
          `dropping a ${message.type} message of ${size} bytes to ${peer.id}: it is larger than maxMessageBytes (${this.#options.maxMessageBytes}); lower Raft's maxSizePerMsg below it`,
        );
        this.#drop(peer, round);
        continue;
      }
      stream.add(message, size);
      if (stream.touchedIn !== round) {
        stream.touchedIn = round;
        this.#touched.push(stream);
      }
    }
    const touched = this.#touched;
    for (let i = 0; i < touched.length; i++) touched[i]!.flush();
    touched.length = 0;
  }

  /** Learns peer addresses; peers missing from `addresses` are disconnected and forgotten. */
  setPeers(addresses: Record<NodeId, string>): void {
    for (const [id, peer] of this.#peers) {
      if (addresses[id] !== peer.address) {
        this.#disconnect(peer);
        this.#peers.delete(id);
      }
    }
    for (const [id, address] of Object.entries(addresses)) {
      if (id === this.#options.selfId || this.#peers.has(id)) continue;
      this.#peers.set(id, { id, address, client: undefined, stream: undefined, failures: 0, retryAt: 0, snapshot: undefined, reportedIn: 0 });
    }
  }

  /** Ends outbound streams and snapshot transfers, and inbound calls with UNAVAILABLE. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#inbound.close();
    for (const peer of this.#peers.values()) this.#disconnect(peer);
    this.#peers.clear();
  }

  #warn(key: string, line: string, level: 'warn' | 'info' = 'warn'): void {
    const suppressed = this.#limiter.take(key);
    if (suppressed !== undefined) this.#logger[level](suppressed > 0 ? { suppressed } : {}, line);
  }

  /** Reports `peer` unreachable once per send() call. */
  #drop(peer: Peer, round: number): void {
    if (peer.reportedIn === round) return;
    peer.reportedIn = round;
    this.#unreachable(peer.id);
  }

  /** Reports a peer unreachable to the handler after the current call stack (never inside send). */
  #unreachable(peerId: NodeId): void {
    if (this.#pendingUnreachable.size === 0) {
      queueMicrotask(() => {
        const peers = [...this.#pendingUnreachable];
        this.#pendingUnreachable.clear();
        if (this.#closed) return;
        for (const id of peers) this.#options.handler.unreachable(id);
      });
    }
    this.#pendingUnreachable.add(peerId);
  }

  #client(peer: Peer): grpc.Client {
    peer.client ??= new grpc.Client(peer.address, this.#credentials, {
      'grpc.max_send_message_length': this.#options.maxMessageBytes,
      'grpc.max_receive_message_length': this.#options.maxMessageBytes,
      'grpc.keepalive_time_ms': 5_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
      // A retried stream would replay buffered messages and hide backpressure; Raft retransmits itself.
      'grpc.enable_retries': 0,
      'grpc.use_local_subchannel_pool': 1,
    });
    return peer.client;
  }

  #metadata(peer: Peer): grpc.Metadata {
    const metadata = new grpc.Metadata();
    metadata.set(PEER_METADATA.clusterId, this.#options.clusterId);
    metadata.set(PEER_METADATA.from, this.#options.selfId);
    metadata.set(PEER_METADATA.to, peer.id);
    return metadata;
  }

  /** Opens the Send stream to `peer`, or returns undefined while it is backing off. */
  #open(peer: Peer, now: number): PeerStream | undefined {
    if (now < peer.retryAt) return undefined;
    const openedAt = now;
    const stream = new PeerStream(this.#client(peer), this.#sendPath, this.#metadata(peer), this.#options.maxMessageBytes, (error) => {
      if (peer.stream !== stream) return; // replaced or disconnected already
      peer.stream = undefined;
      if (!error) return;
      this.#failed(peer, error, openedAt);
    });
    peer.stream = stream;
    return stream;
  }

  #failed(peer: Peer, error: grpc.ServiceError, openedAt: number): void {
    const { initialMs, maxMs } = this.#options.reconnectBackoff ?? { initialMs: 50, maxMs: 1000 };
    const now = this.#now();
    // A stream that lived longer than the longest backoff was healthy: start the backoff over.
    peer.failures = now - openedAt > maxMs ? 1 : peer.failures + 1;
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(peer.failures - 1, 30));
    peer.retryAt = now + base * (0.5 + 0.5 * this.#random());
    const hint =
      error.code === grpc.status.RESOURCE_EXHAUSTED
        ? '; a message exceeded the receiver\'s maxMessageBytes: use the same maxMessageBytes on every node'
        : '';
    this.#warn(
      `${peer.id}|stream|${error.code}`,
      `the raft stream to ${peer.id} at ${peer.address} failed: ${grpc.status[error.code] ?? error.code} ${error.details}${hint}`,
      error.code === grpc.status.UNAVAILABLE ? 'info' : 'warn',
    );
    this.#unreachable(peer.id);
  }

  #disconnect(peer: Peer): void {
    const stream = peer.stream;
    peer.stream = undefined;
    stream?.end();
    peer.snapshot?.abort();
    peer.snapshot = undefined;
    peer.client?.close();
    peer.client = undefined;
  }

  #sendSnapshot(message: Message): void {
    const peer = this.#peers.get(message.to);
    const report = (ok: boolean): void => {
      queueMicrotask(() => {
        if (!this.#closed) this.#options.handler.snapshotSent(message.to, ok);
      });
    };
    if (!peer || !message.snapshot) {
      this.#warn(`${message.to}|snapshot-address`, `cannot send a snapshot to ${message.to}: ${peer ? 'the message has no snapshot' : 'no address is known for it'}`);
      report(false);
      return;
    }
    peer.snapshot?.abort(); // Raft sends one snapshot at a time per peer; a new one supersedes the old
    const controller = new AbortController();
    peer.snapshot = controller;
    const index = message.snapshot.metadata.index;
    const bytes = message.snapshot.data.length;
    this.#logger.info({ to: peer.id, index, bytes }, 'sending a snapshot');
    streamSnapshot({
      client: this.#client(peer),
      method: this.#installSnapshot,
      metadata: this.#metadata(peer),
      message,
      chunkBytes: this.#options.snapshotChunkBytes,
      signal: controller.signal,
    }).then(
      () => {
        this.#logger.info({ to: peer.id, index, bytes }, 'snapshot sent');
        report(true);
      },
      (error: Error) => {
        this.#logger.warn({ to: peer.id, index, err: error }, `sending the snapshot to ${peer.id} failed`);
        report(false);
      },
    ).finally(() => {
      if (peer.snapshot === controller) peer.snapshot = undefined;
    });
  }
}
