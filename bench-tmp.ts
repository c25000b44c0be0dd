import { pino } from 'pino';
import { message, type Message } from './cluster/raft/types.ts';
import { startGrpcServer } from './cluster/server/grpc-server.ts';
import { GrpcTransport } from './cluster/transport/grpc-transport.ts';
const logger = pino({ level: 'warn' });
const backend: any = {};
let received = 0; let unreachable = 0;
let resolveDone: () => void = () => {};
let target = 0;
const h2 = { receive: () => { if (++received >= target) resolveDone(); }, unreachable: () => { unreachable++; }, snapshotSent: () => {} };
const h1 = { receive: () => {}, unreachable: () => { unreachable++; }, snapshotSent: () => {} };
const t2 = new GrpcTransport({ selfId: 'n2', clusterId: 'c', handler: h2, logger, snapshotChunkBytes: 1 << 20, maxMessageBytes: 8 << 20 });
const s2 = await startGrpcServer({ listen: '127.0.0.1:0', raft: t2.service, cluster: backend, logger, maxMessageBytes: 8 << 20, shutdownGraceMs: 10 });
const t1 = new GrpcTransport({ selfId: 'n1', clusterId: 'c', handler: h1, logger, snapshotChunkBytes: 1 << 20, maxMessageBytes: 8 << 20, maxQueuedMessages: 1e6, maxQueuedBytes: 1e9 });
t1.setPeers({ n2: s2.address });
const data = new Uint8Array(Number(process.argv[2] ?? 100));
async function run(total: number, batch: number) {
  received = 0; unreachable = 0; target = total;
  const done = new Promise<void>((r) => (resolveDone = r));
  const start = performance.now();
  let i = 0;
  while (i < total) {
    const msgs: Message[] = [];
    for (let j = 0; j < batch && i < total; j++, i++) msgs.push(message({ type: 'app', from: 'n1', to: 'n2', term: 1, index: i, entries: [{ term: 1, index: i + 1, type: 'normal', data }] }));
    t1.send(msgs);
    if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
  }
  await done;
  const ms = performance.now() - start;
  console.log(`total ${total} batch ${batch}: ${(total / ms * 1000).toFixed(0)} msg/s, unreachable ${unreachable}`);
}
await run(20000, 10);
await run(200000, 100);
await run(200000, 1);
await t1.close(); await t2.close(); await s2.close();
