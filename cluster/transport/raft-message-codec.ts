import type { Entry, EntryType, Message, MessageType } from '../raft/types.ts';

/**
 * Hand-written protobuf codec of `teambooth.raft.RaftMessage` (proto/raft.proto), the message of
 * the hot path. It produces exactly the proto3 wire format, so any protobuf tool can read it, but
 * it sizes a message first and writes it into one buffer (one allocation per message), and it
 * decodes `bytes` fields as views of the received buffer instead of copies.
 *
 * Views: the `data` of entries and the `context` of a decoded message share memory with the
 * buffer gRPC handed over. gRPC allocates a fresh buffer per received message, so nothing else
 * writes to it.
 */

/** Wire numbers of proto/raft.proto `MessageType`; local-only types have none. */
const MESSAGE_TYPE_NUMBERS: Readonly<Partial<Record<MessageType, number>>> = {
  app: 1,
  appResp: 2,
  vote: 3,
  voteResp: 4,
  preVote: 5,
  preVoteResp: 6,
  heartbeat: 7,
  heartbeatResp: 8,
  snap: 9,
  readIndex: 10,
  readIndexResp: 11,
  timeoutNow: 12,
  transferLeader: 13,
};

const MESSAGE_TYPES_BY_NUMBER: readonly (MessageType | undefined)[] = (() => {
  const table: (MessageType | undefined)[] = [];
  for (const [name, number] of Object.entries(MESSAGE_TYPE_NUMBERS)) table[number] = name as MessageType;
  return table;
})();

const ENTRY_TYPE_CONF = 1;

/** Thrown by {@link decodeRaftMessage} for bytes that are not a valid RaftMessage. */
export class MalformedMessageError extends Error {
  override readonly name = 'MalformedMessageError';
}

/** Whether a message type travels between nodes (the others are local to one node). */
export function isWireMessageType(type: MessageType): boolean {
  return MESSAGE_TYPE_NUMBERS[type] !== undefined;
}

function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  let size = 4;
  let rest = Math.floor(value / 0x10000000);
  while (rest > 0) {
    size++;
    rest = Math.floor(rest / 0x80);
  }
  return size;
}

function writeVarint(buf: Buffer, pos: number, value: number): number {
  while (value > 0x7fffffff) {
    buf[pos++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  while (value > 0x7f) {
    buf[pos++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[pos++] = value;
  return pos;
}

/** Size of a uint64 field (tag + varint), 0 when the value is the default. */
function uintFieldSize(value: number): number {
  return value === 0 ? 0 : 1 + varintSize(value);
}

function lengthFieldSize(length: number): number {
  return 1 + varintSize(length) + length;
}

function checkUint(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`raft message field ${name} must be a non-negative safe integer, got ${value}`);
}

function entrySize(entry: Entry): number {
  checkUint('entries.term', entry.term);
  checkUint('entries.index', entry.index);
  return (
    uintFieldSize(entry.term) +
    uintFieldSize(entry.index) +
    (entry.type === 'conf' ? 2 : 0) +
    (entry.data.length > 0 ? lengthFieldSize(entry.data.length) : 0)
  );
}

function writeUintField(buf: Buffer, pos: number, tag: number, value: number): number {
  if (value === 0) return pos;
  buf[pos++] = tag;
  return writeVarint(buf, pos, value);
}

function writeBytesField(buf: Buffer, pos: number, tag: number, bytes: Uint8Array): number {
  if (bytes.length === 0) return pos;
  buf[pos++] = tag;
  pos = writeVarint(buf, pos, bytes.length);
  buf.set(bytes, pos);
  return pos + bytes.length;
}

/**
 * Size of a message encoded as a `teambooth.raft.RaftMessage`, checking that it can be encoded:
 * throws a RangeError for local-only types and for numbers that are not safe non-negative
 * integers. The snapshot of a `snap` message is not part of it (it travels through InstallSnapshot).
 */
export function raftMessageSize(message: Message): number {
  const typeNumber = MESSAGE_TYPE_NUMBERS[message.type];
  if (typeNumber === undefined) throw new RangeError(`raft message type ${message.type} is local to a node and never sent`);
  checkUint('term', message.term);
  checkUint('logTerm', message.logTerm);
  checkUint('index', message.index);
  checkUint('commit', message.commit);
  checkUint('rejectHint', message.rejectHint);
  const fromBytes = Buffer.byteLength(message.from);
  const toBytes = Buffer.byteLength(message.to);
  const entries = message.entries;
  let size =
    1 + varintSize(typeNumber) +
    (fromBytes > 0 ? lengthFieldSize(fromBytes) : 0) +
    (toBytes > 0 ? lengthFieldSize(toBytes) : 0) +
    uintFieldSize(message.term) +
    uintFieldSize(message.logTerm) +
    uintFieldSize(message.index) +
    uintFieldSize(message.commit) +
    (message.reject ? 2 : 0) +
    uintFieldSize(message.rejectHint) +
    (message.context.length > 0 ? lengthFieldSize(message.context.length) : 0);
  for (let i = 0; i < entries.length; i++) size += lengthFieldSize(entrySize(entries[i]!));
  return size;
}

function writeString(buf: Buffer, pos: number, tag: number, value: string): number {
  if (value.length === 0) return pos;
  buf[pos++] = tag;
  pos = writeVarint(buf, pos, Buffer.byteLength(value));
  return pos + buf.write(value, pos, 'utf8');
}

/**
 * Writes a message whose {@link raftMessageSize} is `size` at `pos`; returns the position after it.
 * The message must have passed raftMessageSize.
 */
export function writeRaftMessage(buf: Buffer, pos: number, message: Message, size: number): number {
  const start = pos;
  const entries = message.entries;
  buf[pos++] = 0x08; // 1: type
  pos = writeVarint(buf, pos, MESSAGE_TYPE_NUMBERS[message.type]!);
  pos = writeString(buf, pos, 0x12, message.from); // 2
  pos = writeString(buf, pos, 0x1a, message.to); // 3
  pos = writeUintField(buf, pos, 0x20, message.term); // 4
  pos = writeUintField(buf, pos, 0x28, message.logTerm); // 5
  pos = writeUintField(buf, pos, 0x30, message.index); // 6
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    buf[pos++] = 0x3a; // 7: entries
    pos = writeVarint(buf, pos, entrySize(entry));
    pos = writeUintField(buf, pos, 0x08, entry.term);
    pos = writeUintField(buf, pos, 0x10, entry.index);
    if (entry.type === 'conf') {
      buf[pos++] = 0x18;
      buf[pos++] = ENTRY_TYPE_CONF;
    }
    pos = writeBytesField(buf, pos, 0x22, entry.data);
  }
  pos = writeUintField(buf, pos, 0x40, message.commit); // 8
  if (message.reject) {
    buf[pos++] = 0x48; // 9
    buf[pos++] = 1;
  }
  pos = writeUintField(buf, pos, 0x50, message.rejectHint); // 10
  pos = writeBytesField(buf, pos, 0x5a, message.context); // 11
  if (pos - start !== size) throw new Error(`raft message codec wrote ${pos - start} bytes, expected ${size}`);
  return pos;
}

/** Encodes one message as a `teambooth.raft.RaftMessage` (see {@link raftMessageSize} for what it refuses). */
export function encodeRaftMessage(message: Message): Buffer {
  const size = raftMessageSize(message);
  const buf = Buffer.allocUnsafe(size);
  writeRaftMessage(buf, 0, message, size);
  return buf;
}

/** Reads protobuf fields out of one buffer; positions are absolute. */
class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  varint(): number {
    const buf = this.buf;
    let result = 0;
    let factor = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new MalformedMessageError('truncated varint');
      const byte = buf[this.pos++]!;
      result += (byte & 0x7f) * factor;
      if (byte < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) throw new MalformedMessageError('integer above 2^53');
        return result;
      }
      factor *= 0x80;
    }
    throw new MalformedMessageError('varint longer than 10 bytes');
  }

  /** Returns the end of a length-delimited field whose content starts at `this.pos`. */
  lengthEnd(): number {
    const length = this.varint();
    const end = this.pos + length;
    if (end > this.end) throw new MalformedMessageError('length-delimited field runs past the end');
    return end;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.pos = this.lengthEnd();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new MalformedMessageError(`unsupported wire type ${wireType}`);
    }
    if (this.pos > this.end) throw new MalformedMessageError('fixed-size field runs past the end');
  }
}

function decodeEntry(reader: Reader, end: number): Entry {
  const entry: Entry = { term: 0, index: 0, type: 'normal', data: EMPTY };
  while (reader.pos < end) {
    const tag = reader.varint();
    switch (tag) {
      case 0x08:
        entry.term = reader.varint();
        break;
      case 0x10:
        entry.index = reader.varint();
        break;
      case 0x18: {
        const type = reader.varint();
        if (type > ENTRY_TYPE_CONF) throw new MalformedMessageError(`unknown entry type ${type}`);
        entry.type = (type === ENTRY_TYPE_CONF ? 'conf' : 'normal') satisfies EntryType;
        break;
      }
      case 0x22: {
        const dataEnd = reader.lengthEnd();
        entry.data = reader.buf.subarray(reader.pos, dataEnd);
        reader.pos = dataEnd;
        break;
      }
      default:
        reader.skip(tag & 7);
    }
  }
  if (reader.pos !== end) throw new MalformedMessageError('entry runs past its length');
  return entry;
}

const EMPTY = new Uint8Array(0);

/** Decodes a `teambooth.raft.RaftMessage`. Throws {@link MalformedMessageError} on invalid input. */
export function decodeRaftMessage(buf: Buffer): Message {
  const reader = new Reader(buf, 0, buf.length);
  let type: MessageType | undefined;
  const message: Message = {
    type: 'app',
    from: '',
    to: '',
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: EMPTY,
  };
  while (reader.pos < reader.end) {
    const tag = reader.varint();
    switch (tag) {
      case 0x08: {
        const number = reader.varint();
        type = MESSAGE_TYPES_BY_NUMBER[number];
        if (type === undefined) throw new MalformedMessageError(`unknown message type ${number}`);
        break;
      }
      case 0x12: {
        const end = reader.lengthEnd();
        message.from = buf.toString('utf8', reader.pos, end);
        reader.pos = end;
        break;
      }
      case 0x1a: {
        const end = reader.lengthEnd();
        message.to = buf.toString('utf8', reader.pos, end);
        reader.pos = end;
        break;
      }
      case 0x20:
        message.term = reader.varint();
        break;
      case 0x28:
        message.logTerm = reader.varint();
        break;
      case 0x30:
        message.index = reader.varint();
        break;
      case 0x3a: {
        const end = reader.lengthEnd();
        message.entries.push(decodeEntry(reader, end));
        break;
      }
      case 0x40:
        message.commit = reader.varint();
        break;
      case 0x48:
        message.reject = reader.varint() !== 0;
        break;
      case 0x50:
        message.rejectHint = reader.varint();
        break;
      case 0x5a: {
        const end = reader.lengthEnd();
        message.context = buf.subarray(reader.pos, end);
        reader.pos = end;
        break;
      }
      default:
        reader.skip(tag & 7);
    }
  }
  if (type === undefined) throw new MalformedMessageError('message has no type');
  message.type = type;
  return message;
}

/** Bytes that one encoded message of `length` bytes takes inside a `RaftBatch`. */
export function batchedSize(length: number): number {
  return 1 + varintSize(length) + length;
}

/**
 * Encodes the first `count` messages as one `teambooth.raft.RaftBatch`, straight into one buffer.
 * `sizes[i]` is the {@link raftMessageSize} of `messages[i]`; `total` is the sum of
 * {@link batchedSize} over them.
 */
export function encodeRaftBatch(messages: readonly Message[], sizes: ArrayLike<number>, count: number, total: number): Buffer {
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const size = sizes[i]!;
    buf[pos++] = 0x0a; // 1: messages
    pos = writeVarint(buf, pos, size);
    pos = writeRaftMessage(buf, pos, messages[i]!, size);
  }
  if (pos !== total) throw new Error(`raft batch codec wrote ${pos} bytes, expected ${total}`);
  return buf;
}

/** Decodes a `teambooth.raft.RaftBatch`. Throws {@link MalformedMessageError} on invalid input. */
export function decodeRaftBatch(buf: Buffer): Message[] {
  const reader = new Reader(buf, 0, buf.length);
  const messages: Message[] = [];
  while (reader.pos < reader.end) {
    const tag = reader.varint();
    if (tag !== 0x0a) {
      reader.skip(tag & 7);
      continue;
    }
    const end = reader.lengthEnd();
    messages.push(decodeRaftMessage(buf.subarray(reader.pos, end)));
    reader.pos = end;
  }
  return messages;
}
