import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { StorageError } from '../raft/errors.ts';
import { EMPTY_HARD_STATE } from '../raft/types.ts';
import type { Entry, HardState, Snapshot } from '../raft/types.ts';
import { syncDirectory, writeFileAtomically } from './durable-fs.ts';
import type { LogStore, PersistedState } from './log-store.ts';
import { listSnapshotFiles, readSnapshotFile, writeSnapshotFile, SnapshotFileCorrupt } from './snapshot-file.ts';
import type { SnapshotFileInfo } from './snapshot-file.ts';
import { checkAppend, checkHardState, checkSnapshot } from './write-checks.ts';
import { encodeRecords } from './wal-codec.ts';
import type { WalRecord } from './wal-codec.ts';
import { ReplayGap, ReplayInconsistency, WalReplay } from './wal-replay.ts';
import type { LogPosition } from './wal-replay.ts';
import { scanSegment, walCorruption } from './wal-segment-reader.ts';

/** Settings of a {@link FileLogStore}. */
export interface FileLogStoreOptions {
  /** The node's data dir; the store keeps `<dir>/wal/` and `<dir>/snap/`. */
  dir: string;
  logger: Logger;
  /** A new segment is started once the current one reaches this size. Default 64 MiB. */
  segmentBytes?: number;
  /** Snapshot files kept; the log is kept back to the oldest of them so a damaged newest one can be skipped. Default 2. */
  retainSnapshots?: number;
}

interface Segment {
  seq: number;
  path: string;
  /** Last log index when the segment was started: later entries all live in this or later segments. */
  lastIndexAtStart: number;
}

const SEGMENT_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;
const hex16 = (n: number) => n.toString(16).padStart(16, '0');

/**
 * Durable Raft storage on the local file system: a segmented, checksummed write-ahead log in
 * `<dir>/wal/` and snapshot files in `<dir>/snap/` (see wal-codec.ts and snapshot-file.ts for
 * the layouts). Each `save` is one buffered write plus one fdatasync. Calls are queued on one
 * promise chain, so they run one at a time in call order. After a failed write or fsync the
 * store refuses further writes: the state of the file is unknown and only a restart (which
 * re-reads and repairs the log) is safe.
 */
export class FileLogStore implements LogStore {
  private readonly walDir: string;
  private readonly snapDir: string;
  private readonly segmentBytes: number;
  private readonly retainSnapshots: number;
  private readonly logger: Logger;
  private queue: Promise<unknown> = Promise.resolve();
  private phase: 'new' | 'open' | 'failed' | 'closed' = 'new';
  private failure: Error | undefined;
  private hardState: HardState = EMPTY_HARD_STATE;
  private base: LogPosition = { index: 0, term: 0 };
  /** Terms of the entries base.index + 1 .. lastIndex. */
  private terms: number[] = [];
  private segments: Segment[] = [];
  private active: FileHandle | undefined;
  private activeSize = 0;
  /** Usable snapshot files, newest first. */
  private snapshots: SnapshotFileInfo[] = [];

  constructor(options: FileLogStoreOptions) {
    this.walDir = join(options.dir, 'wal');
    this.snapDir = join(options.dir, 'snap');
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.retainSnapshots = Math.max(1, options.retainSnapshots ?? 2);
    this.logger = options.logger.child({ component: 'log-store' });
  }

  load(): Promise<PersistedState> {
    return this.enqueue(async () => {
      if (this.phase !== 'new') throw new Error('FileLogStore.load() may only be called once, first');
      const state = await this.doLoad();
      this.phase = 'open';
      return state;
    });
  }

  save(hardState: HardState | undefined, entries: Entry[]): Promise<void> {
    return this.enqueue(async () => {
      this.assertOpen();
      const last = this.lastIndex();
      checkAppend(entries, this.base.index, last);
      if (hardState) checkHardState(hardState);
      const records: WalRecord[] = entries.map((entry) => ({ type: 'entry', entry }));
      const hs = hardState;
      const hsChanged = hs !== undefined && (hs.term !== this.hardState.term || hs.vote !== this.hardState.vote || hs.commit !== this.hardState.commit);
      if (hsChanged) records.push({ type: 'hardState', hardState: { term: hs.term, vote: hs.vote, commit: hs.commit } });
      if (records.length === 0) return;
      // Like etcd's MustSync: the commit index alone needs no fsync. A restart may then find an
      // older commit index, which is safe: the leader tells the node again.
      const mustSync = entries.length > 0 || (hs !== undefined && (hs.term !== this.hardState.term || hs.vote !== this.hardState.vote));
      await this.append(records, mustSync);
      if (entries.length > 0) {
        this.terms.length = entries[0]!.index - this.base.index - 1;
        for (const e of entries) this.terms.push(e.term);
      }
      if (hsChanged) this.hardState = { term: hs.term, vote: hs.vote, commit: hs.commit };
    });
  }

  saveSnapshot(snapshot: Snapshot): Promise<void> {
    return this.enqueue(async () => {
      this.assertOpen();
      checkSnapshot(snapshot);
      const { index, term } = snapshot.metadata;
      if (index <= this.base.index) return;
      const keepsSuffix = this.termAt(index) === term;
      await this.guardWrite(this.snapDir, async () => {
        const path = await writeSnapshotFile(this.snapDir, snapshot);
        await this.writeRecords([{ type: 'snapshot', index, term, keepsSuffix }]);
        this.snapshots = [{ path, index, term }, ...this.snapshots.filter((s) => s.path !== path)];
      });
      this.terms = keepsSuffix ? this.terms.slice(index - this.base.index) : [];
      this.base = { index, term };
      await this.guardWrite(this.snapDir, () => this.compact());
    });
  }

  close(): Promise<void> {
    return this.enqueue(async () => {
      if (this.phase === 'closed') return;
      this.phase = 'closed';
      const handle = this.active;
      this.active = undefined;
      await handle?.close();
    });
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private assertOpen(): void {
    if (this.phase === 'open') return;
    if (this.phase === 'failed') {
      throw new StorageError(`an earlier write to ${this.walDir} failed (${this.failure?.message}); the log store refuses further writes until the node restarts`);
    }
    throw new Error(this.phase === 'new' ? 'FileLogStore: call load() before writing' : 'FileLogStore is closed');
  }

  private lastIndex(): number {
    return this.base.index + this.terms.length;
  }

  private termAt(index: number): number | undefined {
    if (index === this.base.index) return this.base.term;
    if (index > this.base.index && index <= this.lastIndex()) return this.terms[index - this.base.index - 1];
    return undefined;
  }

  /** Runs a write; any failure poisons the store, since what reached the disk is unknown. */
  private async guardWrite<T>(where: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      this.phase = 'failed';
      this.failure = err as Error;
      this.logger.error({ err, where }, 'storage write failed; refusing further writes');
      throw new StorageError(`writing ${where} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Appends records to the active segment (starting a new one when it is full), then fdatasyncs when `sync`. */
  private append(records: WalRecord[], sync: boolean): Promise<void> {
    return this.guardWrite(this.walDir, () => this.writeRecords(records, sync));
  }

  private async writeRecords(records: WalRecord[], sync = true): Promise<void> {
    const buf = encodeRecords(records);
    if (this.activeSize >= this.segmentBytes) await this.startSegment();
    const handle = this.active!;
    let done = 0;
    while (done < buf.length) {
      const { bytesWritten } = await handle.write(buf, done, buf.length - done, this.activeSize + done);
      done += bytesWritten;
    }
    if (sync) await handle.datasync();
    this.activeSize += buf.length;
  }

  /** Starts segment seq+1, created whole (header, fsync, rename) so a segment never lacks its header. */
  private async startSegment(): Promise<void> {
    const seq = this.segments.length > 0 ? this.segments[this.segments.length - 1]!.seq + 1 : 0;
    const lastIndex = this.lastIndex();
    const path = join(this.walDir, `${hex16(seq)}-${hex16(lastIndex + 1)}.wal`);
    const header = encodeRecords([
      { type: 'segment', seq, baseIndex: this.base.index, baseTerm: this.base.term, lastIndex, hardState: this.hardState },
    ]);
    await writeFileAtomically(path, [header]);
    const handle = await open(path, 'r+');
    const previous = this.active;
    this.active = handle;
    this.activeSize = header.length;
    this.segments.push({ seq, path, lastIndexAtStart: lastIndex });
    await previous?.close();
  }

  /** Drops snapshot files beyond the retained count and segments that the oldest retained snapshot covers. */
  private async compact(): Promise<void> {
    const dropped = this.snapshots.slice(this.retainSnapshots);
    this.snapshots = this.snapshots.slice(0, this.retainSnapshots);
    for (const s of dropped) await rm(s.path, { force: true });
    if (dropped.length > 0) await syncDirectory(this.snapDir);
    const covered = this.snapshots[this.snapshots.length - 1]!.index;
    let keepFrom = 0;
    for (let i = 0; i < this.segments.length; i++) if (this.segments[i]!.lastIndexAtStart <= covered) keepFrom = i;
    if (keepFrom === 0) return;
    // Oldest first, so the segments left after a crash are always a contiguous run.
    for (const s of this.segments.slice(0, keepFrom)) await rm(s.path, { force: true });
    this.segments = this.segments.slice(keepFrom);
    await syncDirectory(this.walDir);
    this.logger.debug({ removedSegments: keepFrom, coveredIndex: covered }, 'compacted write-ahead log');
  }

  private async doLoad(): Promise<PersistedState> {
    const madeWal = await mkdir(this.walDir, { recursive: true });
    const madeSnap = await mkdir(this.snapDir, { recursive: true });
    if (madeWal !== undefined || madeSnap !== undefined) await syncDirectory(join(this.walDir, '..'));
    await this.removeTempFiles();

    const candidates = await listSnapshotFiles(this.snapDir);
    const corrupt: { info: SnapshotFileInfo; reason: string }[] = [];
    let snapshot: Snapshot | undefined;
    const usable: SnapshotFileInfo[] = [];
    for (const info of candidates) {
      // Only the newest readable file is read; older ones are kept as fallbacks, unread.
      if (snapshot) {
        usable.push(info);
        continue;
      }
      try {
        snapshot = await readSnapshotFile(info);
        usable.push(info);
      } catch (err) {
        if (!(err instanceof SnapshotFileCorrupt)) throw err;
        corrupt.push({ info, reason: err.message });
      }
    }
    const target: LogPosition = snapshot ? { index: snapshot.metadata.index, term: snapshot.metadata.term } : { index: 0, term: 0 };

    const { run, leftovers } = await this.listSegments();
    if (run.length === 0) {
      if (candidates.length > 0) {
        throw new StorageError(`${this.walDir} holds no write-ahead log but ${this.snapDir} holds snapshots: the hard state is lost. Restore the data dir from a backup, or remove this node from the cluster and re-add it with an empty data dir`);
      }
      await this.startSegment();
      return { hardState: { ...EMPTY_HARD_STATE }, entries: [] };
    }

    const replay = new WalReplay(target);
    let lastEnd = 0;
    for (let i = 0; i < run.length; i++) {
      const seg = run[i]!;
      const buf = await readFile(seg.path);
      let first = true;
      const scan = scanSegment(buf, seg.path, i === run.length - 1, (record, offset) => {
        if (first !== (record.type === 'segment')) {
          throw walCorruption(seg.path, offset, first ? 'segment does not start with its header' : 'segment header in the middle of a segment');
        }
        if (record.type === 'segment') {
          if (record.seq !== seg.seq) throw walCorruption(seg.path, offset, `header names segment ${record.seq}, not ${seg.seq}`);
          seg.lastIndexAtStart = record.lastIndex;
        }
        first = false;
        try {
          replay.apply(record);
        } catch (err) {
          if (err instanceof ReplayInconsistency) throw walCorruption(seg.path, offset, err.message);
          if (err instanceof ReplayGap) throw this.gapError(err, corrupt, seg.path);
          throw err;
        }
      });
      if (first) throw walCorruption(seg.path, 0, 'segment has no header');
      if (scan.tornReason) {
        this.logger.warn({ file: seg.path, offset: scan.validEnd, dropped: buf.length - scan.validEnd, reason: scan.tornReason }, 'truncating torn write at the end of the write-ahead log');
        const handle = await open(seg.path, 'r+');
        try {
          await handle.truncate(scan.validEnd);
          await handle.sync();
        } finally {
          await handle.close();
        }
      }
      lastEnd = scan.validEnd;
    }
    let result;
    try {
      result = replay.finish();
    } catch (err) {
      if (err instanceof ReplayGap) throw this.gapError(err, corrupt, this.walDir);
      throw err;
    }

    this.segments = run;
    this.hardState = { ...result.hardState };
    this.base = result.base;
    this.terms = result.entries.map((e) => e.term);
    this.snapshots = usable;
    this.active = await open(run[run.length - 1]!.path, 'r+');
    this.activeSize = lastEnd;
    if (result.missingMarker) await this.append([{ type: 'snapshot', ...result.missingMarker }], true);
    for (const { info, reason } of corrupt) {
      this.logger.error({ file: info.path, reason }, 'snapshot file is damaged; set aside as .corrupt, using an older snapshot');
      await rename(info.path, `${info.path}.corrupt`);
    }
    if (corrupt.length > 0) await syncDirectory(this.snapDir);
    if (leftovers.length > 0) {
      this.logger.warn({ files: leftovers }, 'removing segments left over from an interrupted compaction');
      for (const path of leftovers) await rm(path, { force: true });
      await syncDirectory(this.walDir);
    }
    this.logger.info({ snapshotIndex: result.base.index, entries: result.entries.length, term: result.hardState.term }, 'loaded stable storage');
    const state: PersistedState = { hardState: result.hardState, entries: result.entries };
    if (snapshot) state.snapshot = snapshot;
    return state;
  }

  private gapError(err: ReplayGap, corrupt: { info: SnapshotFileInfo; reason: string }[], where: string): StorageError {
    const advice = 'Restore the data dir from a backup, or remove this node from the cluster and re-add it with an empty data dir';
    if (corrupt.length > 0) {
      return new StorageError(`${corrupt[0]!.reason}, and the write-ahead log in ${this.walDir} cannot bridge to an older snapshot (${err.message}, in ${where}). ${advice}`);
    }
    return new StorageError(`the write-ahead log ${where} does not connect to the snapshot in ${this.snapDir}: ${err.message}. ${advice}`);
  }

  /** Segment files sorted by sequence; only the newest run of consecutive ones is live. */
  private async listSegments(): Promise<{ run: Segment[]; leftovers: string[] }> {
    const all: Segment[] = [];
    for (const name of await readdir(this.walDir)) {
      const m = SEGMENT_NAME.exec(name);
      if (m) all.push({ seq: parseInt(m[1]!, 16), path: join(this.walDir, name), lastIndexAtStart: 0 });
    }
    all.sort((a, b) => a.seq - b.seq);
    let from = all.length - 1;
    while (from > 0 && all[from - 1]!.seq === all[from]!.seq - 1) from--;
    return { run: all.slice(Math.max(from, 0)), leftovers: all.slice(0, Math.max(from, 0)).map((s) => s.path) };
  }

  private async removeTempFiles(): Promise<void> {
    for (const dir of [this.walDir, this.snapDir]) {
      for (const name of await readdir(dir)) if (name.endsWith('.tmp')) await rm(join(dir, name), { force: true });
    }
  }
}
