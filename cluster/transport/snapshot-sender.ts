import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import type { SnapshotAck, SnapshotAck__Output } from '../../proto/generated/teambooth/raft/SnapshotAck.ts';
import type { SnapshotChunk, SnapshotChunk__Output } from '../../proto/generated/teambooth/raft/SnapshotChunk.ts';
import type { Message } from '../raft/types.ts';

/** What {@link streamSnapshot} needs. */
export interface StreamSnapshotOptions {
  client: grpc.Client;
  method: MethodDefinition<SnapshotChunk, SnapshotAck, SnapshotChunk__Output, SnapshotAck__Output>;
  metadata: grpc.Metadata;
  /** A `snap` message with its snapshot. */
  message: Message;
  /** Bytes of snapshot data per chunk. */
  chunkBytes: number;
  signal: AbortSignal;
}

/**
 * Streams one snapshot through InstallSnapshot: a header chunk (the `snap` message without its
 * data, the snapshot metadata and the total size), then the data in chunks of `chunkBytes` with
 * their offsets; the last chunk is marked and carries the SHA-256 of the data, which is hashed
 * while streaming. Waits for the stream to drain between chunks. Resolves once the receiver has
 * verified the snapshot and handed it to its driver; rejects with the call's error otherwise.
 */
export async function streamSnapshot(options: StreamSnapshotOptions): Promise<void> {
  const { message, chunkBytes, signal } = options;
  const snapshot = message.snapshot;
  if (!snapshot) throw new Error(`snap message to ${message.to} carries no snapshot`);
  signal.throwIfAborted();

  let call!: grpc.ClientWritableStream<SnapshotChunk>;
  const acknowledged = new Promise<void>((resolve, reject) => {
    call = options.client.makeClientStreamRequest(
      options.method.path,
      options.method.requestSerialize,
      options.method.responseDeserialize,
      options.metadata,
      {},
      (error) => (error ? reject(error) : resolve()),
    );
  });
  let failed = false;
  acknowledged.catch(() => {
    failed = true; // awaited below; this also keeps an early failure from being unhandled
  });
  call.on('error', () => {}); // failures arrive through the callback
  const onAbort = (): void => call.cancel();
  signal.addEventListener('abort', onAbort, { once: true });

  try {
    const write = async (chunk: SnapshotChunk): Promise<void> => {
      if (!call.write(chunk)) await Promise.race([once(call, 'drain', { signal }), acknowledged]);
    };
    const data = snapshot.data;
    const total = data.length;
    await write({
      header: {
        message: {
          type: 'SNAP',
          from: message.from,
          to: message.to,
          term: message.term,
          logTerm: message.logTerm,
          index: message.index,
          commit: message.commit,
          context: message.context,
        },
        metadata: {
          index: snapshot.metadata.index,
          term: snapshot.metadata.term,
          conf: snapshot.metadata.conf,
        },
        totalBytes: total,
      },
      offset: 0,
    });
    const hash = createHash('sha256');
    let offset = 0;
    do {
      if (failed || signal.aborted) break;
      const end = Math.min(total, offset + chunkBytes);
      const piece = Buffer.from(data.buffer, data.byteOffset + offset, end - offset);
      hash.update(piece);
      const last = end === total;
      await write(last ? { offset, data: piece, last, sha256: hash.digest() } : { offset, data: piece });
      offset = end;
    } while (offset < total);
    if (!failed) call.end();
    signal.throwIfAborted();
    await acknowledged;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
