import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessCluster, TEST_ADMIN_TOKEN } from '../support/process-cluster.ts';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../bin/teambooth.js');

async function teambooth(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [BIN, ...args], {
    env: { ...process.env, TEAMBOOTH_ADMIN_TOKEN: TEST_ADMIN_TOKEN, TEAMBOOTH_LOG_LEVEL: 'warn' },
  });
  return stdout;
}

let cluster: ProcessCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('membership changes through the CLI', { timeout: 180_000 }, () => {
  it('adds a node as a learner, catches it up, promotes it, then removes it and the old leader', async () => {
    cluster = await ProcessCluster.start({ size: 3, env: { TEAMBOOTH_RAFT_SNAPSHOT_ENTRIES: '20' } });
    const client = cluster.client();
    const leader = await cluster.waitForLeader();
    for (let i = 0; i < 30; i++) await client.propose({ type: 'put', key: `k${i}`, value: i });

    const n4 = await cluster.startJoining('n4');
    const servers = () => cluster!.nodes.filter((n) => n.process).map((n) => n.address).join(',');
    await teambooth(['cluster', 'add-node', '--id', 'n4', '--address', n4.address, '--servers', servers()]);
    const statuses = await cluster.statuses();
    const fromLeader = statuses.find((s) => s.id === leader)!;
    expect(fromLeader.conf.voters.sort()).toEqual(['n1', 'n2', 'n3', 'n4']);

    // The new member serves the data written before it joined (it came in through a snapshot).
    const local = cluster.client({ servers: [n4.address] });
    await expect.poll(async () => local.query({ type: 'kvGet', key: 'k29' }, { stale: true }), { timeout: 20_000 }).toEqual({ value: 29 });

    await teambooth(['cluster', 'remove-node', '--id', 'n4', '--servers', servers()]);
    // Removing the leader hands leadership over first.
    await teambooth(['cluster', 'remove-node', '--id', leader, '--servers', servers()]);
    const remaining = cluster.nodes.map((n) => n.id).filter((id) => id !== 'n4' && id !== leader);
    const newLeader = await cluster.waitForLeader(remaining);
    const conf = (await cluster.statuses()).find((s) => s.id === newLeader)!.conf;
    expect(conf.voters.sort()).toEqual(remaining.sort());
    await client.propose({ type: 'put', key: 'after', value: 'two voters' });
    expect(await client.query({ type: 'kvGet', key: 'after' })).toEqual({ value: 'two voters' });
  });
});
