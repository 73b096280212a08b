/**
 * Own appends made durable off the main thread (server/db/wal-sync.ts, the sequencer's
 * DurableSync): on a real SQLite file with the real signer, a batch is committed at once but
 * answered, announced and served (ReadLog, Subscribe) only after its sync; a failed sync stops
 * the log until restart. The sync hook here is gated by the test, the way a slow disk would
 * hold it; the real WalSync is exercised on its own and by every node in the other tests.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../server/db/database.js';
import { LogStore } from '../../server/db/log-store.js';
import { WalSync } from '../../server/db/wal-sync.js';
import { AppendHub } from '../../server/log/append-hub.js';
import { Sequencer } from '../../server/log/sequencer.js';
import { Outbox } from '../../server/sync/outbox.js';
import { generateSigningKey } from '../../shared/crypto.js';
import { decodeHeader } from '../../shared/log/entry-header.js';
import { SubscribeResponseSchema } from '../../shared/gen/dtx/v1/sync_service_pb.js';
import { makeTempDir, removeDir } from '../_util/test-node.js';

let dir: string;
let db: Db;
let log: LogStore;
let sequencer: Sequencer | undefined;

beforeEach(() => {
  dir = makeTempDir('durable-sync');
  db = openDatabase(join(dir, 'dtx.db'));
  log = new LogStore(db);
});

afterEach(async () => {
  await sequencer?.close();
  if (db.open) db.close();
  removeDir(dir);
});

const payloads = (tag: string, n: number) => Array.from({ length: n }, (_, i) => ({ payloadType: 1, payload: new TextEncoder().encode(`${tag}-${i}`) }));

/** A DurableSync the test releases: each call waits until `release` (or fails on `fail`). */
function gatedSync() {
  const waiting: { resolve: () => void; reject: (err: Error) => void }[] = [];
  /** Each call's `here`: whether the sequencer asked for the flush on its own thread. */
  const here: boolean[] = [];
  return {
    here,
    sync: (onThisThread: boolean) =>
      new Promise<void>((resolve, reject) => {
        here.push(onThisThread);
        waiting.push({ resolve, reject });
      }),
    pending: () => waiting.length,
    release: () => waiting.splice(0).forEach((w) => w.resolve()),
    fail: (message: string) => waiting.splice(0).forEach((w) => w.reject(new Error(message))),
  };
}

const settled = async <T>(promise: Promise<T>) => {
  let state = 'pending';
  promise.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  return state;
};

describe('own appends made durable before they are announced', () => {
  it('commits at once, but answers, tells listeners and serves the entries only after the sync', async () => {
    const gate = gatedSync();
    sequencer = Sequencer.open(db, log, generateSigningKey(), Date.now, undefined, gate.sync);
    const s = sequencer;
    const heard: number[] = [];
    s.onAppended((_origin, head) => heard.push(head.seq));
    const first = s.append(payloads('first', 3), { apply: () => {} });
    expect(await settled(first)).toBe('pending');
    expect(gate.pending()).toBe(1);
    gate.release();
    await first;
    expect(s.durableHead?.seq).toBe(3);

    const second = s.append(payloads('second', 4), { apply: () => {} });
    expect(await settled(second)).toBe('pending');
    // Committed: stored, and the next group chains on it ...
    expect(log.origin(s.originIdx)!.headSeq).toBe(7);
    expect(s.head?.seq).toBe(7);
    // ... but not announced, and not served.
    expect(heard).toEqual([3]);
    expect(s.durableHead?.seq).toBe(3);
    const servable = s.servable(log.origin(s.originIdx)!);
    expect(servable.headSeq).toBe(3);
    expect(log.readToHead(servable, 0, 0, 100).map((r) => r.seq)).toEqual([1, 2, 3]);

    gate.release();
    expect((await second).map((e) => e.seq)).toEqual([4, 5, 6, 7]);
    expect(heard).toEqual([3, 7]);
    expect(s.servable(log.origin(s.originIdx)!).headSeq).toBe(7);
  });

  it('a failed sync rejects the batch and every later append, and announces nothing more', async () => {
    const gate = gatedSync();
    sequencer = Sequencer.open(db, log, generateSigningKey(), Date.now, undefined, gate.sync);
    const s = sequencer;
    const heard: number[] = [];
    s.onAppended((_origin, head) => heard.push(head.seq));
    const first = s.append(payloads('a', 2), { apply: () => {} });
    await settled(first);
    const second = s.append(payloads('b', 2), { apply: () => {} });
    await settled(second);
    gate.fail('EIO: i/o error, fdatasync');
    await expect(first).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/could not be written to disk \(EIO.*restart the node/) });
    gate.release(); // the second group's sync succeeds, but follows a failed one
    await expect(second).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(s.append(payloads('c', 1), { apply: () => {} })).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/restart the node/) });
    expect(heard).toEqual([]);
    expect(s.durableHead).toBeUndefined();
    expect(s.servable(log.origin(s.originIdx)!).headSeq).toBe(0);
  });

  it('Subscribe serves an origin only up to the head it may serve, and the rest once that moves', async () => {
    sequencer = Sequencer.open(db, log, generateSigningKey());
    const own = await sequencer.append(payloads('x', 10), { apply: () => {} });
    const origin = sequencer.originIdx;
    let limit = 6;
    const hub = new AppendHub();
    const outbox = new Outbox(log, hub, { maxBatch: 4, maxBytes: 1 << 20, heartbeatMs: 60_000 }, (row) =>
      row.idx === origin ? { ...row, headSeq: limit, headHash: Buffer.from(own[limit - 1]!.hash) } : row,
    );
    const seqs: number[] = [];
    const heads: number[] = [];
    const abort = new AbortController();
    await outbox.serve(
      [],
      0,
      async (message) => {
        const response = fromBinary(SubscribeResponseSchema, message);
        for (const e of response.entries) seqs.push(decodeHeader(e.header).seq);
        for (const h of response.heads) heads.push(Number(h.seq));
        if (response.caughtUp && limit === 6) {
          // Everything it may serve is sent: only now may the rest go.
          expect(seqs).toEqual([1, 2, 3, 4, 5, 6]);
          limit = 10;
          hub.notify(origin, { epoch: 1, seq: 10, hash: own[9]!.hash });
        }
        if (seqs.length >= 10) abort.abort();
      },
      abort.signal,
    );
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // The heads it announced never went past what it served.
    expect(heads).toEqual([6, 6]);
  });
});

describe('where the flush runs', () => {
  it('on the main thread only for a small group with nothing else waiting; larger or queued groups on the thread pool', async () => {
    const gate = gatedSync();
    sequencer = Sequencer.open(db, log, generateSigningKey(), Date.now, undefined, gate.sync);
    await sequencer.ready();
    const small = sequencer.append(payloads('small', 3), { apply: () => {} });
    gate.release();
    await small;
    // 100 entries go to the signer worker; 3 more queued behind them.
    const big = sequencer.append(payloads('big', 100), { apply: () => {} });
    const behind = sequencer.append(payloads('behind', 3), { apply: () => {} });
    // Release each flush as it is asked for, until both batches are answered (bounded: 10 s).
    let done = false;
    const both = Promise.all([big, behind]).finally(() => (done = true));
    for (let i = 0; i < 2_000 && !done; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      gate.release();
    }
    await both;
    expect(gate.here).toEqual([true, false, true]);
  });
});

describe('WalSync', () => {
  it('flushes the write-ahead log, many callers at once, and again after the log file was replaced', async () => {
    const sync = new WalSync(`${db.name}-wal`);
    db.exec('CREATE TABLE t (v BLOB)');
    db.prepare('INSERT INTO t VALUES (randomblob(10000))').run();
    await Promise.all(Array.from({ length: 20 }, () => sync.sync()));
    // Closing the last connection removes the log; the next one makes a new file.
    db.close();
    db = openDatabase(join(dir, 'dtx.db'));
    db.prepare('INSERT INTO t VALUES (randomblob(10000))').run();
    await sync.sync();
    // On the calling thread too (a small group with nothing else waiting).
    db.prepare('INSERT INTO t VALUES (randomblob(10000))').run();
    await sync.sync(true);
    sync.syncNow();
    await sync.close();
  });

  it('names the file when there is no log to flush; at start-up that is nothing to do', async () => {
    const missing = new WalSync(join(dir, 'absent.db-wal'));
    await expect(missing.sync()).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('absent.db-wal') });
    await expect(missing.sync(true)).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('absent.db-wal') });
    expect(() => missing.syncNow()).not.toThrow();
    rmSync(join(dir, 'absent.db-wal'), { force: true });
  });
});
