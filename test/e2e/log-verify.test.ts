/**
 * dtx log and dtx verify: the signed log as machine output, online and offline verification,
 * and tampering with the SQLite file of a stopped node.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/database.js';
import {
  dtx,
  dtxJson,
  type LogRow,
  type PublishedRow,
  stopNodeCleanly,
  useNodeFixture,
} from './_cli.js';

interface Problem {
  seq?: number;
  code: string;
  message: string;
}

interface VerifyReport {
  ok: boolean;
  logs: Array<{ origin: string; entries: number; head?: { epoch: number; seq: number; hash: string }; problems: Problem[] }>;
}

const HEX = /^(?:[0-9a-f]{2})+$/;

const lab = useNodeFixture(async ({ dir }) => {
  const lines = Array.from({ length: 5 }, (_, i) => JSON.stringify({ kind: 'network.ip', value: `203.0.113.${10 + i}`, tlp: 'GREEN' }));
  const published = await dtxJson<PublishedRow[]>(['publish', '--data', dir, '--file', '-', '--json'], { input: `${lines.join('\n')}\n` });
  const r = await dtx(['retract', published[1]!.id, '--reason', 'expired', '--data', dir]);
  expect(r.code, r.stderr).toBe(0);
});
const dir = lab.dir;

/** Runs fn on the stopped node's database file (through the node's own opener). */
function withDatabase<T>(fn: (db: ReturnType<typeof openDatabase>) => T): T {
  const db = openDatabase(join(dir, 'dtx.db'));
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** Flips the lowest bit of byte `index` of one column of the entry at seq; returns a restore function. */
function flipByte(column: 'payload' | 'signature', seq: number, index = 0): () => void {
  return withDatabase((db) => {
    const row = db.prepare(`SELECT ${column} AS bytes FROM entries WHERE seq = ?`).get(seq) as { bytes: Buffer } | undefined;
    if (!row) throw new Error(`no entry at seq ${seq}`);
    const original = Buffer.from(row.bytes);
    const altered = Buffer.from(original);
    altered[index] = altered[index]! ^ 0x01;
    expect(db.prepare(`UPDATE entries SET ${column} = ? WHERE seq = ?`).run(altered, seq).changes).toBe(1);
    return () => withDatabase((db2) => db2.prepare(`UPDATE entries SET ${column} = ? WHERE seq = ?`).run(original, seq));
  });
}

interface VerifyRun {
  code: number | null;
  report: VerifyReport;
  table: string;
}

/** `dtx verify --offline` as JSON and as a table, side by side; both must agree on the exit code. */
/** DTX_CRYPTO picks the crypto backend of the verifying process (shared/sodium-native.ts). */
async function verifyOffline(crypto: 'native' | 'portable' = 'native'): Promise<VerifyRun> {
  const env = { DTX_CRYPTO: crypto };
  const [json, table] = await Promise.all([
    dtx(['verify', '--offline', '--data', dir, '--json'], { env }),
    dtx(['verify', '--offline', '--data', dir], { env }),
  ]);
  expect(table.code).toBe(json.code);
  return { code: json.code, report: JSON.parse(json.stdout) as VerifyReport, table: table.stdout };
}

describe.concurrent('dtx log', () => {
  it('--format ndjson prints one signed entry per line, seq 1, 2, 3, ... with hex bytes', async () => {
    const r = await dtx(['log', '--data', dir, '--format', 'ndjson']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(6);
    const rows = lines.map((l) => JSON.parse(l) as LogRow);
    rows.forEach((row, i) => {
      expect(row.seq).toBe(i + 1);
      expect(row.origin).toBe(lab.init.nodeId);
      expect(row.header).toMatch(HEX);
      expect(row.signature).toMatch(HEX);
      expect(row.signature).toHaveLength(128); // Ed25519: 64 bytes
      expect(row.payload).toMatch(HEX);
      expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(Number.isNaN(Date.parse(row.time))).toBe(false);
    });
    expect(rows.map((row) => row.type)).toEqual(['indicator', 'indicator', 'indicator', 'indicator', 'indicator', 'retraction']);
    // Each entry's header carries the previous entry's hash (the chain).
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.header).toContain(rows[i - 1]!.hash);
  });

  it('--after and --limit page through the log', async () => {
    const rows = await dtxJson<LogRow[]>(['log', '--data', dir, '--after', '2', '--limit', '2', '--json']);
    expect(rows.map((row) => row.seq)).toEqual([3, 4]);
  });
});

describe('dtx verify', () => {
  it('exits 0 and reports ok on a healthy running node', async () => {
    const [r, table] = await Promise.all([dtx(['verify', '--data', dir, '--json']), dtx(['verify', '--data', dir])]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as VerifyReport;
    expect(report.ok).toBe(true);
    expect(report.logs).toHaveLength(1);
    expect(report.logs[0]).toMatchObject({ origin: lab.init.nodeId, entries: 6, head: { seq: 6 }, problems: [] });
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(lab.init.nodeId);
    expect(table.stdout).toMatch(/\bok\b/);
  });

  it('--offline works on a stopped node, with either crypto backend', async () => {
    await stopNodeCleanly(lab.node);
    for (const crypto of ['native', 'portable'] as const) {
      const { code, report, table } = await verifyOffline(crypto);
      expect(code, crypto).toBe(0);
      expect(report.ok).toBe(true);
      expect(report.logs[0]).toMatchObject({ origin: lab.init.nodeId, entries: 6, problems: [] });
      expect(table).toMatch(/\bok\b/);
    }
  });

  describe('a changed payload byte (seq 3)', () => {
    let run: VerifyRun;

    beforeAll(async () => {
      const restore = flipByte('payload', 3, 5);
      try {
        run = await verifyOffline();
      } finally {
        restore();
      }
    });

    it('fails: exit 1, the report names seq 3 and MALFORMED_ENTRY or BAD_SIGNATURE', () => {
      expect(run.code).toBe(1);
      expect(run.report.ok).toBe(false);
      const problems = run.report.logs[0]!.problems;
      expect(problems.length).toBeGreaterThan(0);
      expect(problems).toContainEqual(expect.objectContaining({ seq: 3, code: expect.stringMatching(/^(MALFORMED_ENTRY|BAD_SIGNATURE)$/) }));
      expect(run.table).toMatch(/seq 3\b/);
      expect(run.table).toMatch(/MALFORMED_ENTRY|BAD_SIGNATURE/);
    });

    it('is reported at its own entry only: entry hashes cover header and signature, so seq 4 still links to seq 3', () => {
      const problems = run.report.logs[0]!.problems;
      expect(problems.length).toBeGreaterThan(0);
      for (const p of problems) expect(p, p.message).toMatchObject({ seq: 3 });
    });
  });

  it('a changed signature byte fails with BAD_SIGNATURE at that seq, with either crypto backend', async () => {
    const restore = flipByte('signature', 3, 10);
    try {
      for (const crypto of ['native', 'portable']) {
        const r = await dtx(['verify', '--offline', '--data', dir, '--json'], { env: { DTX_CRYPTO: crypto } });
        expect(r.code, crypto).toBe(1);
        const report = JSON.parse(r.stdout) as VerifyReport;
        expect(report.ok).toBe(false);
        expect(report.logs[0]!.problems).toContainEqual(expect.objectContaining({ seq: 3, code: 'BAD_SIGNATURE' }));
      }
    } finally {
      restore();
    }
  });

  it('after the bytes are restored it verifies again', async () => {
    const r = await dtx(['verify', '--offline', '--data', dir, '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as VerifyReport).ok).toBe(true);
  });
});
