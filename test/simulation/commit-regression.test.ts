/**
 * Commit index regression, a class of production bugs (Raft paper §5.3, §5.4: committed
 * entries are durable, and the commit index only ever grows): a follower must not move its
 * commit past its own last entry, must ignore the lower commit of a delayed or new leader's
 * message, and a restarted node must resume from the commit index it fsynced (a write that only
 * moves the commit index is not fsynced, as in etcd).
 */
import { describe, expect, it } from 'vitest';
import { message } from '../../cluster/raft/types.ts';
import { ManualNet, entriesWithTerms } from '../support/manual-net.ts';
import { SimCluster } from '../support/sim-cluster.ts';

describe('commit index never regresses', () => {
  it('a heartbeat with a commit beyond the follower\'s log moves commit only up to its last index', () => {
    const net = new ManualNet({ n1: { initial: { hardState: { term: 1, vote: '', commit: 1 }, entries: entriesWithTerms([1, 1, 1]) } }, n2: {}, n3: {} });
    net.deliver(message({ type: 'heartbeat', from: 'n2', to: 'n1', term: 1, commit: 10 }));
    expect(net.core('n1').status()).toMatchObject({ commit: 3, lastIndex: 3 });
    expect(net.take()).toMatchObject([{ type: 'heartbeatResp', to: 'n2' }]);
  });

  it('a delayed heartbeat or append with an older commit neither lowers commit nor truncates the log', () => {
    const net = new ManualNet({ n1: { initial: { hardState: { term: 2, vote: '', commit: 0 }, entries: [] } }, n2: {}, n3: {} });
    const entries = entriesWithTerms([2, 2, 2, 2, 2]);
    net.deliver(message({ type: 'app', from: 'n2', to: 'n1', term: 2, index: 0, logTerm: 0, entries, commit: 5 }));
    expect(net.core('n1').status()).toMatchObject({ commit: 5, lastIndex: 5 });
    // The same leader's older messages arrive late.
    net.deliver(message({ type: 'heartbeat', from: 'n2', to: 'n1', term: 2, commit: 2 }));
    net.deliver(message({ type: 'app', from: 'n2', to: 'n1', term: 2, index: 1, logTerm: 2, entries: entries.slice(1, 3), commit: 3 }));
    net.deliver(message({ type: 'app', from: 'n2', to: 'n1', term: 2, index: 5, logTerm: 2, entries: [], commit: 1 }));
    expect(net.core('n1').status()).toMatchObject({ commit: 5, lastIndex: 5 });
    net.take();
    expect(net.store('n1').hardState.commit).toBe(5);
    expect(net.log('n1')).toHaveLength(5);
  });

  it('a new leader that knows a lower commit index does not drag its followers\' commit back', () => {
    const log = entriesWithTerms(Array(10).fill(1));
    const net = new ManualNet({
      n1: { initial: { hardState: { term: 1, vote: '', commit: 10 }, entries: log } }, // heard every commit
      n2: { initial: { hardState: { term: 1, vote: '', commit: 4 }, entries: log } }, // missed the last ones
      n3: {},
    });
    net.down.add('n3'); // the old leader is gone
    net.core('n2').campaign();
    net.settle();
    expect(net.core('n2').status().role).toBe('leader');
    for (let round = 0; round < 5; round++) {
      expect(net.core('n1').status().commit).toBeGreaterThanOrEqual(10);
      net.tickAll(1);
    }
    expect(net.core('n2').status().commit).toBe(11); // its no-op commits, and with it all before
    expect(net.core('n1').status().commit).toBe(11);
  });

  it('a restarted node resumes from the commit index it fsynced and only moves forward', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const cluster = new SimCluster({ seed, nodes: 3, snapshotEvery: 6 });
      const leader = cluster.waitForLeader();
      cluster.startClients(2, 40, { putRatio: 1, thinkMs: 5 });
      const follower = cluster.node(cluster.ids().find((id) => id !== leader.id)!);
      for (let round = 0; round < 4; round++) {
        cluster.runFor(150);
        const persisted = follower.store.syncedCommit;
        expect(persisted).toBeGreaterThan(0);
        cluster.crash(follower.id);
        cluster.runFor(50);
        cluster.restart(follower.id);
        expect(follower.raft().status().commit).toBeGreaterThanOrEqual(persisted);
      }
      // The invariant checker saw every persisted hard state of every node: none went back.
      expect(cluster.settle()).toBe(true);
      expect(cluster.verify().problems).toEqual([]);
    }
  });
});
