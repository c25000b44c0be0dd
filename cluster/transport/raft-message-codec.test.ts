import { describe, expect, it } from 'vitest';
import { loadProtos } from '../../proto/load.ts';
import { message, type Message, type MessageType } from '../raft/types.ts';
import {
  batchedSize,
  decodeRaftBatch,
  decodeRaftMessage,
  encodeRaftBatch,
  encodeRaftMessage,
  MalformedMessageError,
  raftMessageSize,
} from './raft-message-codec.ts';

const WIRE_TYPES: MessageType[] = [
  'app', 'appResp', 'vote', 'voteResp', 'preVote', 'preVoteResp', 'heartbeat', 'heartbeatResp',
  'readIndex', 'readIndexResp', 'timeoutNow', 'transferLeader',
];

/** Comparable form: bytes as base64, so Buffer views and Uint8Arrays compare by content. */
function plain(m: Message): unknown {
  return {
    ...m,
    context: Buffer.from(m.context).toString('base64'),
    entries: m.entries.map((e) => ({ ...e, data: Buffer.from(e.data).toString('base64') })),
  };
}

function sample(type: MessageType): Message {
  return message({
    type,
    from: 'n1',
    to: 'nœud-2',
    term: 7,
    logTerm: 6,
    index: 2 ** 40 + 3,
    commit: Number.MAX_SAFE_INTEGER,
    reject: type === 'appResp',
    rejectHint: 300,
    context: new Uint8Array([1, 2, 3]),
    entries: [
      { term: 6, index: 2 ** 40 + 4, type: 'normal', data: new TextEncoder().encode('{"op":"x"}') },
      { term: 7, index: 2 ** 40 + 5, type: 'conf', data: new Uint8Array(0) },
      { term: 0, index: 0, type: 'normal', data: new Uint8Array(300).fill(9) },
    ],
  });
}

describe('raft message codec', () => {
  const protoSend = loadProtos().raft.Raft.service.Send;

  it.each(WIRE_TYPES)('round-trips a %s message with every field set', (type) => {
    const m = sample(type);
    expect(plain(decodeRaftMessage(encodeRaftMessage(m)))).toEqual(plain(m));
  });

  it('round-trips a message whose fields are all zero', () => {
    const m = message({ type: 'heartbeat', from: '', to: '' });
    expect(plain(decodeRaftMessage(encodeRaftMessage(m)))).toEqual(plain(m));
  });

  it('writes the wire format of proto/raft.proto (readable by protobufjs through proto-loader)', () => {
    const m = sample('app');
    const decoded = protoSend.requestDeserialize(encodeRaftMessage(m));
    expect(decoded.type).toBe('APP');
    expect(decoded.to).toBe('nœud-2');
    expect(decoded.index).toBe(2 ** 40 + 3);
    expect(decoded.commit).toBe(Number.MAX_SAFE_INTEGER);
    expect(decoded.entries.map((e) => [e.index, e.type, e.data.length])).toEqual([
      [2 ** 40 + 4, 'NORMAL', 10],
      [2 ** 40 + 5, 'CONF', 0],
      [0, 'NORMAL', 300],
    ]);
  });

  it('reads what protobufjs writes', () => {
    const bytes = protoSend.requestSerialize({
      type: 'READ_INDEX_RESP',
      from: 'n3',
      to: 'n1',
      term: 9,
      index: 12,
      context: Buffer.from('ctx'),
      entries: [{ term: 9, index: 12, type: 'CONF', data: Buffer.from('c') }],
    });
    const decoded = decodeRaftMessage(bytes);
    expect(decoded.type).toBe('readIndexResp');
    expect(decoded.index).toBe(12);
    expect(Buffer.from(decoded.context).toString()).toBe('ctx');
    expect(decoded.entries[0]?.type).toBe('conf');
  });

  it('skips fields it does not know (a newer peer)', () => {
    const known = encodeRaftMessage(message({ type: 'vote', from: 'n1', to: 'n2', term: 3 }));
    const unknown = Buffer.from([0xa0, 0x01, 0x05, 0xaa, 0x01, 0x02, 0x61, 0x62]); // field 20 varint, field 21 bytes
    const decoded = decodeRaftMessage(Buffer.concat([known, unknown]));
    expect(decoded.type).toBe('vote');
    expect(decoded.term).toBe(3);
  });

  it('refuses truncated and invalid input with MalformedMessageError', () => {
    const bytes = encodeRaftMessage(sample('app'));
    expect(() => decodeRaftMessage(bytes.subarray(0, bytes.length - 2))).toThrow(MalformedMessageError);
    expect(() => decodeRaftMessage(Buffer.from([0x08, 0x63]))).toThrow(/unknown message type 99/);
    expect(() => decodeRaftMessage(Buffer.from([0x20, 0x05]))).toThrow(/no type/);
    expect(() => decodeRaftMessage(Buffer.from([0x08, 0x01, 0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]))).toThrow(/2\^53/);
  });

  it('packs messages into a RaftBatch that decodes to the same messages in order', () => {
    const messages = WIRE_TYPES.map(sample);
    const sizes = messages.map(raftMessageSize);
    const total = sizes.reduce((sum, size) => sum + batchedSize(size), 0);
    const batch = encodeRaftBatch(messages, sizes, messages.length, total);
    expect(decodeRaftBatch(batch).map(plain)).toEqual(messages.map(plain));
    const viaProtobufjs = loadProtos().raft.Raft.service.SendBatch.requestDeserialize(batch);
    expect(viaProtobufjs.messages.map((m) => m.index)).toEqual(messages.map((m) => m.index));
    expect(decodeRaftBatch(Buffer.alloc(0))).toEqual([]);
  });

  it('refuses to encode local-only messages and unsafe numbers', () => {
    expect(() => encodeRaftMessage(message({ type: 'unreachable', from: 'n1', to: 'n2' }))).toThrow(/local/);
    expect(() => encodeRaftMessage(message({ type: 'app', from: 'n1', to: 'n2', term: -1 }))).toThrow(/term/);
  });
});
