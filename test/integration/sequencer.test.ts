import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../shared/crypto.js';
import { DtxError } from '../../shared/errors.js';
import { auditLog } from '../../shared/log/log-audit.js';
import { openDatabase, type Db } from '../../server/db/database.js';
import { LogStore } from '../../server/db/log-store.js';
import { Sequencer } from '../../server/log/sequencer.js';
import { Signer } from '../../server/log/signer.js';
import { ChainVerifier } from '../../shared/log/chain-verifier.js';
import { decodeHeader, ZERO_HASH } from '../../shared/log/entry-header.js';

// The sequencer against a real SQLite file and its real signer worker: group commit,
// sign-ahead, and what happens when storing a group fails.
describe('Sequencer', () => {
  let dir: string;
  let db: Db;
  let sequencer: Sequencer | undefined;

  afterEach(async () => {
    await sequencer?.close();
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open() {
    dir = mkdtempSync(join(tmpdir(), 'dtx-seq-'));
    db = openDatabase(join(dir, 'dtx.db'));
    const log = new LogStore(db);
    const key = generateSigningKey();
    sequencer = Sequencer.open(db, log, key);
    return { log, key, sequencer };
  }

  const payloads = (tag: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ payloadType: 1, payload: new TextEncoder().encode(`${tag}-${i}`) }));

  function storedLog(log: LogStore, origin: number) {
    return log.readAfter(origin, 0, 0, 1_000_000);
  }

  it('signs nothing while its gate holds, signs once it lets go, refuses with the gate\'s error, and stopping ends what it holds', async () => {
    const { log, sequencer: s } = await open();
    let release: (() => void) | undefined;
    let refusal: DtxError | undefined;
    let asked = 0;
    s.setGate({
      hold: () => {
        asked++;
        if (refusal) return refusal;
        return release ? undefined : new Promise<void>((resolve) => (release = resolve));
      },
    });
    const held = s.append(payloads('held', 3), { apply: () => {} });
    await new Promise((resolve) => setImmediate(resolve));
    expect(storedLog(log, s.originIdx)).toEqual([]);
    release!();
    expect((await held).map((e) => e.seq)).toEqual([1, 2, 3]);

    refusal = new DtxError('UNAVAILABLE', 'not now');
    await expect(s.append(payloads('refused', 2), { apply: () => {} })).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'not now' });
    expect(storedLog(log, s.originIdx)).toHaveLength(3);

    // Held again, and the sequencer closes: the batch ends, nothing of it stored.
    refusal = undefined;
    release = undefined;
    const stranded = s.append(payloads('stranded', 2), { apply: () => {} }).then(
      () => 'stored',
      (err: unknown) => err,
    );
    await s.close();
    sequencer = undefined;
    expect(await stranded).toMatchObject({ code: 'UNAVAILABLE' });
    expect(storedLog(log, s.originIdx)).toHaveLength(3);
    expect(asked).toBeGreaterThanOrEqual(3);
  });

  it('stores many concurrent batches as one gap-free chain, each caller getting its own seqs in order', async () => {
    const { log, key, sequencer: s } = await open();
    const results = await Promise.all(Array.from({ length: 12 }, (_, b) => s.append(payloads(`b${b}`, 25), { apply: () => {} })));
    const seqs = results.flatMap((r) => r.map((e) => e.seq));
    expect(new Set(seqs).size).toBe(300);
    for (const r of results) for (let i = 1; i < r.length; i++) expect(r[i]!.seq).toBe(r[i - 1]!.seq + 1);
    const rows = storedLog(log, s.originIdx);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    const report = await auditLog(key.publicKey, [rows]);
    expect(report.problems).toEqual([]);
    expect(s.head?.seq).toBe(300);
  });

  it('signs small batches on its own thread when nothing is in flight, in the same chain as the worker\'s groups', async () => {
    const { log, key, sequencer: s } = await open();
    // One at a time: each is small and finds the pipeline empty (signed on the main thread).
    for (let b = 0; b < 5; b++) await s.append(payloads(`small${b}`, 1 + b), { apply: () => {} });
    // Then small and large ones at once: the first goes inline or to the worker, the rest queue behind it.
    const mixed = await Promise.all([3, 40, 2, 17, 1, 30].map((n, b) => s.append(payloads(`mixed${b}`, n), { apply: () => {} })));
    const rows = storedLog(log, s.originIdx);
    expect(rows).toHaveLength(15 + 93);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: rows.length }, (_, i) => i + 1));
    expect((await auditLog(key.publicKey, [rows])).problems).toEqual([]);
    for (const [b, r] of mixed.entries()) expect(Buffer.from(rows[r[0]!.seq - 1]!.payload).toString()).toBe(`mixed${b}-0`);
  });

  it('refuses appends at once, with nothing stored, once its signer is gone', async () => {
    const { log, sequencer: s } = await open();
    await s.append(payloads('before', 2), { apply: () => {} });
    await s.close();
    sequencer = undefined;
    await expect(s.append(payloads('after', 2), { apply: () => {} })).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(storedLog(log, s.originIdx).map((r) => r.seq)).toEqual([1, 2]);
  });

  it('rejects a failing group with nothing stored, re-signs the group signed ahead of it, and keeps the chain intact', async () => {
    const { log, key, sequencer: s } = await open();
    await s.append(payloads('first', 3), { apply: () => {} });
    // The failing batch and those queued behind it: the later ones may have been signed ahead on
    // top of the failed group, so they must be signed again from the committed head.
    // More than 16 entries: signed in the worker, not inline, so the later groups are signed ahead on top of it.
    const failing = s.append(payloads('bad', 20), {
      apply: (i) => {
        if (i === 2) throw new Error('view update failed');
      },
    });
    // Observed at once: it may reject while this test is still yielding below.
    const failure = failing.then(
      () => undefined,
      (err: unknown) => err,
    );
    // Let the failing group go to the signer first, so the next ones are signed ahead on top of it.
    await new Promise((resolve) => setImmediate(resolve));
    const after = Array.from({ length: 4 }, (_, b) => s.append(payloads(`after${b}`, 20), { apply: () => {} }));
    expect(await failure).toBeInstanceOf(Error);
    const settled = await Promise.allSettled(after);
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    const stored = storedLog(log, s.originIdx);
    const report = await auditLog(key.publicKey, [stored]);
    expect(report.problems).toEqual([]);
    expect(stored.map((r) => r.seq)).toEqual(Array.from({ length: stored.length }, (_, i) => i + 1));
    const payloadsStored = stored.map((r) => Buffer.from(r.payload).toString());
    expect(payloadsStored.some((p) => p.startsWith('bad-'))).toBe(false);
    expect(stored).toHaveLength(3 + 80);
    // Every batch that resolved is stored, under the seqs it was told.
    for (const r of settled) {
      if (r.status !== 'fulfilled') continue;
      for (const e of r.value) expect(stored[e.seq - 1]?.seq).toBe(e.seq);
    }
    expect(s.head?.seq).toBe(stored.length);
    // And the log goes on from there.
    const more = await s.append(payloads('more', 2), { apply: () => {} });
    expect(more[0]!.seq).toBe(stored.length + 1);
  });

  it('runs a check when the batch is due and stores nothing when it throws', async () => {
    const { log, sequencer: s } = await open();
    await expect(
      s.append(payloads('checked', 2), {
        check: () => {
          throw new Error('changed meanwhile');
        },
        apply: () => {},
      }),
    ).rejects.toThrow('changed meanwhile');
    expect(storedLog(log, s.originIdx)).toHaveLength(0);
    expect(s.head).toBeUndefined();
  });
});

// The signer worker on its own: the pipeline hands it a group before the previous one is back.
describe('Signer', () => {
  const items = (n: number) => Array.from({ length: n }, (_, i) => ({ payloadType: 1, payload: new TextEncoder().encode(`entry-${i}`) }));

  it('chains a run without a hash on the last entry it signed, and refuses one that does not follow it', async () => {
    const key = generateSigningKey();
    const signer = Signer.start(key);
    try {
      await signer.ready;
      const first = await signer.sign({ epoch: 1, seq: 0, hash: ZERO_HASH }, 1_000, items(3));
      // Handed over before the first is back in the sequencer, so without the hash.
      const second = await signer.sign({ epoch: 1, seq: 3 }, 1_000, items(2));
      const verifier = new ChainVerifier(key.publicKey);
      for (const [batch, n] of [[first, 3], [second, 2]] as const) {
        for (let i = 0; i < n; i++) {
          verifier.push({ header: batch.header(i), signature: batch.signature(i), payload: items(n)[i]!.payload });
        }
      }
      expect(verifier.current?.seq).toBe(5);

      await expect(signer.sign({ epoch: 1, seq: 7 }, 1_000, items(1))).rejects.toThrow(/seq 8 cannot chain on the last entry signed here \(epoch 1 seq 5\)/);
      // A hash restarts the chain wherever the caller says the committed head is.
      const at = second.hash(0).slice();
      const restarted = await signer.sign({ epoch: 1, seq: 4, hash: at }, 1_000, items(1));
      expect(decodeHeader(restarted.header(0)).seq).toBe(5);
      expect(Buffer.from(decodeHeader(restarted.header(0)).prevHash).equals(Buffer.from(at))).toBe(true);
      // ...and the next run without a hash follows the restarted chain.
      const next = await signer.sign({ epoch: 1, seq: 5 }, 1_000, items(1));
      expect(Buffer.from(decodeHeader(next.header(0)).prevHash).equals(Buffer.from(restarted.hash(0)))).toBe(true);
    } finally {
      await signer.close();
    }
  });
});
