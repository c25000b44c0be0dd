import type * as grpc from '@grpc/grpc-js';
import type { Message } from '../raft/types.ts';
import { batchedSize, encodeRaftBatch } from './raft-message-codec.ts';

const identity = (batch: Buffer): Buffer => batch;

/**
 * Batches are cut at about this size. Larger ones cost more than they save: each is a fresh
 * allocation on both sides, and beyond a few hundred KiB that means fresh pages from the kernel.
 */
const BATCH_TARGET_BYTES = 256 * 1024;
const ignoreAck = (): Record<string, never> => ({});

/**
 * One outbound SendBatch stream to a peer. It takes Raft messages (already sized and checked by
 * raftMessageSize) and writes them in order, packed into RaftBatch messages: whatever queued up
 * while the previous batch was being written goes out as the next batch (bounded by the gRPC
 * message size), so a burst costs a few gRPC messages instead of one per Raft message, and a lone
 * message goes out at once. Each message is encoded once, straight into its batch's buffer.
 *
 * It counts the messages and bytes not yet handed to the connection, which is how the transport
 * sees backpressure (a slow or stopped peer) without awaiting anything.
 */
export class PeerStream {
  /** Messages added but not yet written to the connection. */
  queuedMessages = 0;
  /** Bytes of those messages. */
  queuedBytes = 0;
  /** Mark used by the transport to flush each stream once per send() call. */
  touchedIn = 0;
  readonly #call: grpc.ClientWritableStream<Buffer>;
  readonly #batchTargetBytes: number;
  readonly #pending: (Message | undefined)[] = [];
  readonly #pendingSizes: number[] = [];
  #pendingCount = 0;
  #pendingSize = 0;
  #pendingBytes = 0;
  /** Batches written to gRPC whose write has not completed, oldest at #head (a ring of [messages, bytes]). */
  #inFlight = 0;
  #head = 0;
  #ring = new Float64Array(32);
  readonly #onWritten = (): void => {
    const ring = this.#ring;
    const slots = ring.length >> 1;
    this.queuedMessages -= ring[this.#head * 2]!;
    this.queuedBytes -= ring[this.#head * 2 + 1]!;
    this.#head = (this.#head + 1) % slots;
    this.#inFlight--;
    if (this.#inFlight === 0 && this.#pendingCount > 0) this.#writeBatch();
  };

  /**
   * @param maxBatchBytes largest RaftBatch to write (the gRPC message limit); a message larger
   *   than the usual batch size travels in a batch of its own
   * @param onEnd called once when the call ends: null after a clean end, the error otherwise
   */
  constructor(
    client: grpc.Client,
    path: string,
    metadata: grpc.Metadata,
    maxBatchBytes: number,
    onEnd: (error: grpc.ServiceError | null) => void,
  ) {
    this.#batchTargetBytes = Math.min(BATCH_TARGET_BYTES, maxBatchBytes);
    this.#call = client.makeClientStreamRequest(path, identity, ignoreAck, metadata, {}, (error) => onEnd(error ?? null));
    this.#call.on('error', () => {}); // failures arrive through onEnd
  }

  /**
   * Queues one message of `size` encoded bytes (its raftMessageSize); `batchedSize(size)` must not
   * exceed maxBatchBytes. The message must not change until it is written.
   */
  add(message: Message, size: number): void {
    const inBatch = batchedSize(size);
    if (this.#pendingCount > 0 && this.#pendingSize + inBatch > this.#batchTargetBytes) this.#writeBatch();
    this.#pending[this.#pendingCount] = message;
    this.#pendingSizes[this.#pendingCount] = size;
    this.#pendingCount++;
    this.#pendingSize += inBatch;
    this.#pendingBytes += size;
    this.queuedMessages++;
    this.queuedBytes += size;
  }

  /** Writes the queued frames now, unless a batch is being written (they follow when it completes). */
  flush(): void {
    if (this.#inFlight === 0 && this.#pendingCount > 0) this.#writeBatch();
  }

  /** Half-closes the stream; the peer answers and the call ends cleanly. */
  end(): void {
    this.#call.end();
  }

  #writeBatch(): void {
    const count = this.#pendingCount;
    const batch = encodeRaftBatch(this.#pending as Message[], this.#pendingSizes, count, this.#pendingSize);
    this.#pending.fill(undefined, 0, count);
    if (this.#inFlight === this.#ring.length >> 1) this.#grow();
    const slot = ((this.#head + this.#inFlight) % (this.#ring.length >> 1)) * 2;
    this.#ring[slot] = count;
    this.#ring[slot + 1] = this.#pendingBytes;
    this.#inFlight++;
    this.#pendingCount = 0;
    this.#pendingSize = 0;
    this.#pendingBytes = 0;
    this.#call.write(batch, this.#onWritten);
  }

  #grow(): void {
    const old = this.#ring;
    const slots = old.length >> 1;
    const ring = new Float64Array(old.length * 2);
    for (let i = 0; i < this.#inFlight; i++) {
      const from = ((this.#head + i) % slots) * 2;
      ring[i * 2] = old[from]!;
      ring[i * 2 + 1] = old[from + 1]!;
    }
    this.#ring = ring;
    this.#head = 0;
  }
}
