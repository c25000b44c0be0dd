import { constants as bufferConstants } from 'node:buffer';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { loadProtos } from '../../proto/load.ts';
import type { SendAck } from '../../proto/generated/teambooth/raft/SendAck.ts';
import type { SnapshotAck } from '../../proto/generated/teambooth/raft/SnapshotAck.ts';
import type { SnapshotChunk__Output } from '../../proto/generated/teambooth/raft/SnapshotChunk.ts';
import type { Message, NodeId } from '../raft/types.ts';
import type { TransportHandler } from '../server/backend.ts';
import type { GrpcServiceBinding } from '../server/grpc-server.ts';
import { LogRateLimiter } from './log-rate-limiter.ts';
import { decodeRaftBatch, decodeRaftMessage, encodeRaftMessage } from './raft-message-codec.ts';
import { SnapshotAssembler } from './snapshot-assembler.ts';

/** Metadata every Raft call carries. */
export const PEER_METADATA = {
  clusterId: 'x-teambooth-cluster-id',
  from: 'x-teambooth-from',
  to: 'x-teambooth-to',
} as const;

/** A frame of the Send stream that did not decode; the handler refuses the stream with the reason. */
export class MalformedFrame {
  constructor(readonly reason: string) {}
}

function decodeOrMalformed<T>(decode: (bytes: Buffer) => T): (bytes: Buffer) => T | MalformedFrame {
  return (bytes) => {
    try {
      return decode(bytes);
    } catch (error) {
      return new MalformedFrame((error as Error).message);
    }
  };
}

/**
 * The Raft service definition with the hand-written codec (raft-message-codec.ts) on Send and
 * SendBatch: senders write already-encoded buffers, receivers get decoded messages.
 */
export function raftServiceDefinition(): grpc.ServiceDefinition {
  const service = loadProtos().raft.Raft.service;
  return {
    ...service,
    Send: {
      ...service.Send,
      requestSerialize: (frame: Buffer | Message) => (Buffer.isBuffer(frame) ? frame : encodeRaftMessage(frame)),
      requestDeserialize: decodeOrMalformed(decodeRaftMessage),
    },
    SendBatch: {
      ...service.SendBatch,
      requestSerialize: (batch: Buffer) => batch,
      requestDeserialize: decodeOrMalformed(decodeRaftBatch),
    },
  };
}

/** Options of {@link RaftService}. */
export interface RaftServiceOptions {
  selfId: NodeId;
  clusterId: string;
  handler: TransportHandler;
  logger: Logger;
  now: () => number;
  /** Largest snapshot accepted (default: the largest Buffer). */
  maxSnapshotBytes?: number;
  /** Least time between two log lines about the same peer and problem (default 60 s). */
  logIntervalMs?: number;
}

interface Refusal {
  status: Partial<grpc.StatusObject>;
  key: string;
}

type Finish = (status: Partial<grpc.StatusObject> | null) => void;

/**
 * The receiving side of peer traffic: handlers of `teambooth.raft.Raft`. It checks each call's
 * cluster id and target id (FAILED_PRECONDITION naming both otherwise, logged once a minute per
 * peer), hands decoded messages to the {@link TransportHandler} in stream order, and reassembles
 * snapshots. It does not decide membership: messages from unknown node ids go to the handler.
 */
export class RaftService {
  readonly binding: GrpcServiceBinding;
  readonly #options: RaftServiceOptions;
  readonly #logger: Logger;
  readonly #limiter: LogRateLimiter;
  readonly #open = new Set<Finish>();
  #closed = false;

  constructor(options: RaftServiceOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#limiter = new LogRateLimiter(options.now, options.logIntervalMs ?? 60_000);
    const implementation: grpc.UntypedServiceImplementation = {
      Send: (call: grpc.ServerReadableStream<Message | MalformedFrame, SendAck>, callback: grpc.sendUnaryData<SendAck>) =>
        this.#send(call, callback, 'Send'),
      SendBatch: (call: grpc.ServerReadableStream<Message[] | MalformedFrame, SendAck>, callback: grpc.sendUnaryData<SendAck>) =>
        this.#send(call, callback, 'SendBatch'),
      InstallSnapshot: (call: grpc.ServerReadableStream<SnapshotChunk__Output, SnapshotAck>, callback: grpc.sendUnaryData<SnapshotAck>) =>
        this.#installSnapshot(call, callback),
    };
    this.binding = { definition: raftServiceDefinition(), implementation, close: () => this.close() };
  }

  /** Ends every open inbound call with UNAVAILABLE and refuses new ones. */
  close(): void {
    this.#closed = true;
    for (const finish of [...this.#open]) finish({ code: grpc.status.UNAVAILABLE, details: `${this.#options.selfId} is shutting down` });
  }

  #warn(key: string, fields: Record<string, unknown>, line: string): void {
    const suppressed = this.#limiter.take(key);
    if (suppressed !== undefined) this.#logger.warn(suppressed > 0 ? { ...fields, suppressed } : fields, line);
  }

  /** Checks the metadata of a new call; returns why it is refused, if it is. */
  #check(call: grpc.ServerReadableStream<unknown, unknown>, method: string): { from: NodeId } | Refusal {
    const { selfId, clusterId } = this.#options;
    const read = (key: string): string => {
      const value = call.metadata.get(key)[0];
      return typeof value === 'string' ? value : '';
    };
    const theirCluster = read(PEER_METADATA.clusterId);
    const from = read(PEER_METADATA.from);
    const to = read(PEER_METADATA.to);
    const refuse = (code: grpc.status, reason: string, details: string): Refusal => ({
      status: { code, details },
      key: `${from}|${reason}`,
    });
    if (this.#closed) return refuse(grpc.status.UNAVAILABLE, 'closed', `${selfId} is shutting down`);
    if (!from || !theirCluster || !to) {
      return refuse(
        grpc.status.FAILED_PRECONDITION,
        'metadata',
        `refused ${method} from ${call.getPeer()}: the call lacks ${PEER_METADATA.clusterId}, ${PEER_METADATA.from} or ${PEER_METADATA.to} metadata (is it a Teambooth node?)`,
      );
    }
    if (theirCluster !== clusterId) {
      return refuse(
        grpc.status.FAILED_PRECONDITION,
        'cluster',
        `refused ${method} from ${from}: it belongs to cluster "${theirCluster}" but ${selfId} belongs to cluster "${clusterId}"; every node of one cluster must use the same cluster id`,
      );
    }
    if (to !== selfId) {
      return refuse(
        grpc.status.FAILED_PRECONDITION,
        'target',
        `refused ${method} from ${from}: it was meant for node "${to}" but this is node "${selfId}"; check the peer addresses that ${from} was given`,
      );
    }
    return { from };
  }

  /** Registers an open call; the returned function ends it once, with a status or OK. */
  #track<Res>(callback: grpc.sendUnaryData<Res>, ok: Res): Finish {
    let done = false;
    const finish: Finish = (status) => {
      if (done) return;
      done = true;
      this.#open.delete(finish);
      if (status) callback(status);
      else callback(null, ok);
    };
    this.#open.add(finish);
    return finish;
  }

  #refuse(call: grpc.ServerReadableStream<unknown, unknown>, refusal: Refusal, callback: grpc.sendUnaryData<never>): void {
    if (refusal.status.code !== grpc.status.UNAVAILABLE) {
      this.#warn(refusal.key, { peer: call.getPeer() }, refusal.status.details ?? 'refused a raft call');
    }
    callback(refusal.status);
  }

  #send(
    call: grpc.ServerReadableStream<Message | Message[] | MalformedFrame, SendAck>,
    callback: grpc.sendUnaryData<SendAck>,
    method: 'Send' | 'SendBatch',
  ): void {
    const checked = this.#check(call, method);
    if ('status' in checked) return this.#refuse(call, checked, callback);
    const { from } = checked;
    const { selfId, handler } = this.#options;
    const finish = this.#track(callback, {});
    const deliver = (m: Message): void => {
      if (m.from !== from || m.to !== selfId || m.type === 'snap') {
        this.#warn(
          `${from}|misaddressed`,
          { type: m.type, messageFrom: m.from, messageTo: m.to },
          `dropped a raft message on the stream from ${from}: it is from ${m.from} to ${m.to}` +
            (m.type === 'snap' ? ' and snapshots must use InstallSnapshot' : ''),
        );
        return;
      }
      try {
        handler.receive(m);
      } catch (error) {
        this.#logger.error({ err: error, from, type: m.type }, 'the raft driver threw while receiving a message');
      }
    };
    call.on('data', (frame: Message | Message[] | MalformedFrame) => {
      if (!this.#open.has(finish)) return; // refused or shut down already
      if (frame instanceof MalformedFrame) {
        const details = `refused a malformed raft message from ${from}: ${frame.reason}`;
        this.#warn(`${from}|malformed`, {}, details);
        finish({ code: grpc.status.INVALID_ARGUMENT, details });
        return;
      }
      if (Array.isArray(frame)) {
        for (let i = 0; i < frame.length; i++) deliver(frame[i]!);
      } else {
        deliver(frame);
      }
    });
    call.on('end', () => finish(null));
    call.on('error', (error) => {
      this.#warn(`${from}|stream`, { err: error }, `the raft stream from ${from} failed`);
      finish({ code: grpc.status.INTERNAL, details: 'stream failed' });
    });
    call.on('cancelled', () => finish({ code: grpc.status.CANCELLED, details: 'cancelled' }));
  }

  #installSnapshot(call: grpc.ServerReadableStream<SnapshotChunk__Output, SnapshotAck>, callback: grpc.sendUnaryData<SnapshotAck>): void {
    const checked = this.#check(call, 'InstallSnapshot');
    if ('status' in checked) return this.#refuse(call, checked, callback);
    const { from } = checked;
    const { selfId, handler } = this.#options;
    const assembler = new SnapshotAssembler(from, selfId, this.#options.maxSnapshotBytes ?? bufferConstants.MAX_LENGTH);
    const finish = this.#track(callback, {});
    const fail = (details: string): void => {
      this.#warn(`${from}|snapshot`, {}, details);
      finish({ code: grpc.status.INVALID_ARGUMENT, details });
    };
    let complete = false;
    call.on('data', (chunk: SnapshotChunk__Output) => {
      if (complete || !this.#open.has(finish)) return;
      let message: Message | undefined;
      try {
        message = assembler.add(chunk);
      } catch (error) {
        complete = true;
        fail(`refused the snapshot from ${from}: ${(error as Error).message}`);
        return;
      }
      if (!message) return;
      complete = true;
      this.#logger.info({ from, index: message.snapshot?.metadata.index, bytes: message.snapshot?.data.length }, 'received a snapshot');
      try {
        handler.receive(message);
      } catch (error) {
        this.#logger.error({ err: error, from }, 'the raft driver threw while receiving a snapshot');
        finish({ code: grpc.status.INTERNAL, details: 'the receiver failed to take the snapshot' });
        return;
      }
      finish(null);
    });
    call.on('end', () => {
      if (!complete) fail(`the snapshot stream from ${from} ended after ${assembler.progress()}, before its last chunk`);
    });
    call.on('error', () => finish({ code: grpc.status.INTERNAL, details: 'stream failed' }));
    call.on('cancelled', () => finish({ code: grpc.status.CANCELLED, details: 'cancelled' }));
  }
}
