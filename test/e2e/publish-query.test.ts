/** dtx publish (flags, --file, stdin), get, query and retract against one running node. */
import { writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  dtx,
  dtxJson,
  expectDtxError,
  type IndicatorRow,
  logLength,
  type LogRow,
  type PublishedRow,
  query,
  useNodeFixture,
} from './_cli.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

const lab = useNodeFixture();
const dir = lab.dir;
const dirs = lab.dirs;

interface Line {
  kind: string;
  value: string;
  tlp: string;
  confidence?: number;
  tags?: string[];
  validFor?: string;
}

/** n valid, distinct indicators of a few kinds; `tag` keeps values apart between tests. */
function indicators(n: number, tag: number): Line[] {
  return Array.from({ length: n }, (_, i): Line => {
    switch (i % 3) {
      case 0:
        return { kind: 'network.ip', value: `198.${18 + tag}.${i >> 8}.${i & 255}`, tlp: 'AMBER', confidence: 60 + (i % 40) };
      case 1:
        return { kind: 'infra.domain', value: `relay-${tag}-${i}.example.net`, tlp: 'GREEN', tags: ['reseller'] };
      default:
        return { kind: 'network.cidr', value: `100.${64 + tag}.${i >> 4}.${(i & 15) << 4}/28`, tlp: 'AMBER+STRICT', validFor: '7d' };
    }
  });
}

const jsonLines = (lines: readonly unknown[]) => `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;

function expectConsecutive(rows: readonly PublishedRow[], count: number): void {
  expect(rows).toHaveLength(count);
  expect(new Set(rows.map((r) => r.id)).size).toBe(count);
  for (let i = 1; i < rows.length; i++) expect(rows[i]!.seq).toBe(rows[i - 1]!.seq + 1);
  for (const r of rows) expect(r.version).toBe(1);
}

describe('publish from flags, get and query', () => {
  let id: string;

  it('prints the new id', async () => {
    const r = await dtx([
      'publish', '--data', dir,
      '--kind', 'network.ip', '--value', '203.0.113.7',
      '--tlp', 'AMBER', '--confidence', '85', '--action', 'block', '--valid-for', '30d',
      '--tag', 'x', '--tag', 'y', '--campaign', 'hydra-2026-03',
      '--technique', 'AML.T0024.002', '--description', 'proxy exit used by a hydra account cluster',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const ids = r.stdout.match(UUID) ?? [];
    expect(ids).toHaveLength(1);
    id = ids[0]!;
  });

  // Read-only from here: run side by side (vitest gives this file one worker).
  describe.concurrent('reading it back', () => {
    it('get ID --json shows every field that was given', async () => {
      const got = await dtxJson<IndicatorRow>(['get', id, '--data', dir, '--json']);
      expect(got).toMatchObject({
        id,
        origin: lab.init.nodeId,
        version: 1,
        kind: 'network.ip',
        value: '203.0.113.7',
        tlp: 'AMBER',
        confidence: 85,
        action: 'block',
        tags: ['x', 'y'],
        campaign: 'hydra-2026-03',
        techniques: ['AML.T0024.002'],
        description: 'proxy exit used by a hydra account cluster',
        retracted: false,
      });
      // --valid-for 30d counts from the publisher's clock; the node stamps valid_from on arrival.
      const span = Date.parse(got.validUntil) - Date.parse(got.validFrom);
      expect(span).toBeLessThanOrEqual(30 * DAY_MS);
      expect(span).toBeGreaterThan(29 * DAY_MS);
    });

    it('query --kind --value --format json finds it', async () => {
      const rows = await query(dir, 'network.ip', '203.0.113.7');
      expect(rows.map((r) => r.id)).toEqual([id]);
      expect(rows[0]).toMatchObject({ origin: lab.init.nodeId, tlp: 'AMBER', confidence: 85 });
    });

    it('query for an unknown value prints nothing on stdout and exits 0', async () => {
      const r = await dtx(['query', '--data', dir, '--kind', 'network.ip', '--value', '203.0.113.8']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('');
    });
  });
});

describe('publish JSON Lines', () => {
  it('--file with 500 indicators: --json prints the ids in file order', async () => {
    const lines = indicators(500, 0);
    const file = dirs.path('bulk.jsonl');
    writeFileSync(file, jsonLines(lines));
    const published = await dtxJson<PublishedRow[]>(['publish', '--data', dir, '--file', file, '--json']);
    expectConsecutive(published, 500);

    // Line k was signed as entry seq k: the log shows each id with its line's value.
    const first = published[0]!.seq;
    const log = await dtxJson<LogRow[]>(['log', '--data', dir, '--after', String(first - 1), '--limit', '500', '--json']);
    expect(log.map((e) => e.seq)).toEqual(published.map((p) => p.seq));
    log.forEach((entry, k) => {
      expect(entry.type).toBe('indicator');
      expect(entry.summary).toContain(published[k]!.id);
      expect(entry.summary).toContain(lines[k]!.value);
    });
  });

  it('--file - reads stdin, skipping blank lines and comments', async () => {
    const lines = indicators(40, 1);
    const input = `# from a pipe\n\n${jsonLines(lines)}\n`;
    const published = await dtxJson<PublishedRow[]>(['publish', '--data', dir, '--file', '-', '--json'], { input });
    expectConsecutive(published, 40);
    const last = await query(dir, lines[39]!.kind, lines[39]!.value);
    expect(last.map((r) => r.id)).toEqual([published[39]!.id]);
  });
});

describe('publish JSON Lines with a bad line', () => {
  const badFile: unknown[] = indicators(500, 2);
  badFile[6] = { ...(badFile[6] as Line), confidence: 101 }; // line 7
  let before: number;

  beforeAll(async () => {
    before = await logLength(dir);
  });

  describe.concurrent('fails whole', () => {
    it('a file with one bad line fails naming the line and the field', async () => {
      const file = dirs.path('bad-line-7.jsonl');
      writeFileSync(file, jsonLines(badFile));
      const r = await dtx(['publish', '--data', dir, '--file', file, '--json']);
      expectDtxError(r, 'INVALID_ARGUMENT', /line 7\b.*confidence/);
    });

    it('a line that is not JSON on stdin fails naming the line', async () => {
      const lines = indicators(5, 3).map((l) => JSON.stringify(l));
      lines[2] = '{"kind": "network.ip", "value": ';
      const r = await dtx(['publish', '--data', dir, '--file', '-'], { input: `${lines.join('\n')}\n` });
      expectDtxError(r, 'INVALID_ARGUMENT', /line 3\b/);
    });
  });

  it('and publishes nothing: valid lines are not found, the log did not grow', async () => {
    const line1 = badFile[0] as Line;
    const [found, after] = await Promise.all([query(dir, line1.kind, line1.value), logLength(dir)]);
    expect(found).toEqual([]);
    expect(after).toBe(before);
  });
});

describe('retract', () => {
  const value = 'retract-me.example.org';
  let id: string;
  let retractSeq: number;

  beforeAll(async () => {
    const [row] = await dtxJson<PublishedRow[]>(['publish', '--data', dir, '--kind', 'infra.domain', '--value', value, '--tlp', 'GREEN', '--json']);
    id = row!.id;
  });

  it('retract ID --reason false_positive: query no longer finds it', async () => {
    expect((await query(dir, 'infra.domain', value)).map((r) => r.id)).toEqual([id]);
    const out = await dtxJson<{ id: string; retracted: boolean; reason: string; seq: number }>([
      'retract', id, '--reason', 'false_positive', '--data', dir, '--json',
    ]);
    expect(out).toMatchObject({ id, retracted: true, reason: 'false_positive' });
    retractSeq = Number(out.seq);

    const [current, all] = await Promise.all([query(dir, 'infra.domain', value), query(dir, 'infra.domain', value, ['--include-retracted'])]);
    expect(current).toEqual([]);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ id, retracted: true, retractReason: 'false_positive' });
  });

  it('the log shows a retraction entry for it', async () => {
    const log = await dtxJson<LogRow[]>(['log', '--data', dir, '--after', String(retractSeq - 1), '--json']);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ seq: retractSeq, type: 'retraction' });
    expect(log[0]!.summary).toContain(id);
    expect(log[0]!.summary).toContain('false_positive');
  });

  it('retracting it again fails with FAILED_PRECONDITION and appends nothing', async () => {
    const r = await dtx(['retract', id, '--reason', 'false_positive', '--data', dir]);
    expectDtxError(r, 'FAILED_PRECONDITION');
    expect(await dtxJson<LogRow[]>(['log', '--data', dir, '--after', String(retractSeq), '--json'])).toEqual([]);
  });
});

describe('sighting', () => {
  const value = 'sighted.example.org';
  let id: string;

  beforeAll(async () => {
    const [row] = await dtxJson<PublishedRow[]>(['publish', '--data', dir, '--kind', 'infra.domain', '--value', value, '--tlp', 'GREEN', '--json']);
    id = row!.id;
  });

  it('sighting ID reports it seen; get shows the count and the last time seen; the log shows the entry', async () => {
    const out = await dtxJson<{ id: string; sighting: string; seq: number }>([
      'sighting', id, '--observed-at', '2026-01-02T03:04:05Z', '--comment', 'same reseller', '--data', dir, '--json',
    ]);
    expect(out).toMatchObject({ id, sighting: 'seen' });
    const got = await dtxJson<IndicatorRow & { seenBy: number; falsePositiveBy: number; lastSeen?: string }>(['get', id, '--data', dir, '--json']);
    expect(got).toMatchObject({ seenBy: 1, falsePositiveBy: 0, lastSeen: '2026-01-02T03:04:05.000Z' });
    const log = await dtxJson<LogRow[]>(['log', '--data', dir, '--after', String(Number(out.seq) - 1), '--json']);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ seq: Number(out.seq), type: 'sighting' });
    expect(log[0]!.summary).toContain(id);
    expect(log[0]!.summary).toContain('seen');
  });

  it('--type false_positive replaces this lab\'s earlier report', async () => {
    await dtxJson(['sighting', id, '--type', 'false_positive', '--data', dir, '--json']);
    const got = await dtxJson<{ seenBy: number; falsePositiveBy: number; lastSeen?: string }>(['get', id, '--data', dir, '--json']);
    expect(got).toMatchObject({ seenBy: 0, falsePositiveBy: 1 });
    expect(got.lastSeen).toBeUndefined();
  });

  it('bad input is one error line naming the flag, and appends nothing', async () => {
    const before = await logLength(dir);
    expectDtxError(await dtx(['sighting', 'not-a-uuid', '--data', dir]), 'INVALID_ARGUMENT', /\bid\b/);
    expectDtxError(await dtx(['sighting', id, '--origin', 'dtxnope', '--data', dir]), 'INVALID_ARGUMENT', /origin/);
    expectDtxError(await dtx(['sighting', id, '--observed-at', 'yesterday', '--data', dir]), 'INVALID_ARGUMENT', /observed-at/);
    expectDtxError(await dtx(['sighting', '01900000-0000-7000-8000-000000000000', '--data', dir]), 'NOT_FOUND');
    expect(await logLength(dir)).toBe(before);
  });
});
