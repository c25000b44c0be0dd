import { message } from './cluster/raft/types.ts';
import { encodeRaftBatch, raftMessageSize, batchedSize } from './cluster/transport/raft-message-codec.ts';
const data = new Uint8Array(4000);
for (const n of [10, 100, 1000]) {
  const msgs = Array.from({ length: n }, (_, i) => message({ type: 'app', from: 'n1', to: 'n2', term: 1, index: i, entries: [{ term: 1, index: i + 1, type: 'normal', data }] }));
  const sizes = msgs.map(raftMessageSize);
  const total = sizes.reduce((a, s) => a + batchedSize(s), 0);
  const t = performance.now();
  let k = 0;
  for (let r = 0; r < 200000 / n; r++) k += encodeRaftBatch(msgs, sizes, n, total).length;
  const ms = performance.now() - t;
  console.log(n, ms.toFixed(0), 'ms for 200k msgs', (k / ms / 1e3).toFixed(0), 'MB/s');
}
