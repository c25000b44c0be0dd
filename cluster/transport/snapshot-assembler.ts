import { createHash, type Hash } from 'node:crypto';
import type { SnapshotChunk__Output } from '../../proto/generated/teambooth/raft/SnapshotChunk.ts';
import type { Message, NodeId } from '../raft/types.ts';

/** A chunk stream that does not add up to a valid snapshot; the message says what is wrong. */
export class SnapshotStreamError extends Error {
  override readonly name = 'SnapshotStreamError';
}

/**
 * Reassembles the chunks of one InstallSnapshot call into a `snap` message (receiving side of
 * snapshot-sender.ts). It copies each chunk into one buffer of the announced size as it arrives
 * and hashes it incrementally, so finishing costs no large copy or hash on the event loop. It
 * yields the message only once the data is complete and its SHA-256 matches.
 */
export class SnapshotAssembler {
  #message: Message | undefined;
  #data: Buffer | undefined;
  #received = 0;
  #hash: Hash | undefined;
  #done = false;

  /**
   * @param from the sender's node id (from the call metadata); the header must agree
   * @param selfId this node's id; the header must be addressed to it
   * @param maxBytes largest snapshot accepted
   */
  constructor(
    private readonly from: NodeId,
    private readonly selfId: NodeId,
    private readonly maxBytes: number,
  ) {}

  /** Bytes received so far and the announced total, for log lines. */
  progress(): string {
    return `${this.#received} of ${this.#data?.length ?? '?'} bytes`;
  }

  /** Adds one chunk; returns the complete `snap` message after the last one. Throws {@link SnapshotStreamError}. */
  add(chunk: SnapshotChunk__Output): Message | undefined {
    if (this.#done) throw new SnapshotStreamError('chunk after the last chunk');
    if (!this.#message) this.#start(chunk);
    else if (chunk.header) throw new SnapshotStreamError('a second header chunk');
    const data = this.#data!;
    if (chunk.offset !== this.#received) throw new SnapshotStreamError(`chunk at offset ${chunk.offset}, expected ${this.#received}`);
    if (chunk.data.length > data.length - this.#received) {
      throw new SnapshotStreamError(`chunk runs to byte ${this.#received + chunk.data.length}, past the announced ${data.length}`);
    }
    chunk.data.copy(data, this.#received);
    this.#hash!.update(chunk.data);
    this.#received += chunk.data.length;
    if (!chunk.last) return undefined;

    this.#done = true;
    if (this.#received !== data.length) throw new SnapshotStreamError(`last chunk at ${this.#received} of ${data.length} bytes`);
    const digest = this.#hash!.digest();
    if (!digest.equals(chunk.sha256)) throw new SnapshotStreamError('SHA-256 of the received data does not match the sender\'s');
    const message = this.#message!;
    message.snapshot!.data = data;
    return message;
  }

  #start(chunk: SnapshotChunk__Output): void {
    const header = chunk.header;
    if (!header) throw new SnapshotStreamError('the first chunk has no header');
    const m = header.message;
    const meta = header.metadata;
    if (!m || !meta || !meta.conf) throw new SnapshotStreamError('the header lacks the message or the snapshot metadata');
    if (m.type !== 'SNAP') throw new SnapshotStreamError(`the header carries a ${m.type} message, expected SNAP`);
    if (m.from !== this.from) throw new SnapshotStreamError(`the header is from ${m.from} but the call is from ${this.from}`);
    if (m.to !== this.selfId) throw new SnapshotStreamError(`the header is for ${m.to} but this is ${this.selfId}`);
    if (!Number.isSafeInteger(header.totalBytes) || header.totalBytes < 0 || header.totalBytes > this.maxBytes) {
      throw new SnapshotStreamError(`announced size ${header.totalBytes} bytes is over the limit of ${this.maxBytes}`);
    }
    this.#data = Buffer.allocUnsafe(header.totalBytes);
    this.#hash = createHash('sha256');
    this.#message = {
      type: 'snap',
      from: m.from,
      to: m.to,
      term: m.term,
      logTerm: m.logTerm,
      index: m.index,
      entries: [],
      commit: m.commit,
      reject: m.reject,
      rejectHint: m.rejectHint,
      context: m.context,
      snapshot: {
        metadata: {
          index: meta.index,
          term: meta.term,
          conf: { voters: meta.conf.voters, learners: meta.conf.learners, addresses: { ...meta.conf.addresses } },
        },
        data: new Uint8Array(0),
      },
    };
  }
}
