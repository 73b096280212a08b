/**
 * The rows lookups read (server/db/indicator-store.ts) carry an entry's header and payload as one
 * BLOB, concatenated in SQL: on a real SQLite file, every byte comes back as written, NUL bytes
 * and invalid UTF-8 included, and the header's length says where the payload starts.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { IndicatorStore } from '../../server/db/indicator-store.js';
import { lookupKey } from '../../server/indicators/lookup-key.js';
import { idOf, KIND, valueOf, ViewRows } from '../_util/view-rows.js';

let rows: ViewRows | undefined;
afterEach(() => rows?.close());

describe('indicator rows', () => {
  it('return the entry header and payload byte for byte, by id and by lookup, for 300 random entries', () => {
    rows = new ViewRows();
    const store = new IndicatorStore(rows.db);
    const written: { header: Buffer; payload: Buffer }[] = [];
    for (let n = 0; n < 300; n++) {
      const bytes = { header: randomBytes(1 + (n % 140)), payload: randomBytes(n % 260) };
      // NULs, a lone continuation byte and a truncated sequence: nothing SQLite may treat as text.
      if (n % 3 === 0) bytes.header[0] = 0;
      if (n % 5 === 0 && bytes.payload.length > 2) bytes.payload.set([0x80, 0xe2], bytes.payload.length - 2);
      written.push(bytes);
      rows.put(store, n, valueOf(n), 1, bytes);
    }
    const filter = { includeRetracted: false, includeExpired: false, nowMs: 0 };
    for (let n = 0; n < 300; n++) {
      const { header, payload } = written[n]!;
      const byId = store.byId(idOf(n));
      const found = store.lookup({ kind: KIND, value: valueOf(n), lookupKey: lookupKey(KIND, valueOf(n)) }, filter);
      for (const row of [...byId, ...found]) {
        expect(Buffer.isBuffer(row.entry), `row ${n}`).toBe(true);
        expect(row.headerBytes, `row ${n}`).toBe(header.length);
        expect(row.entry.subarray(0, row.headerBytes).equals(header), `row ${n} header`).toBe(true);
        expect(row.entry.subarray(row.headerBytes).equals(payload), `row ${n} payload`).toBe(true);
      }
      expect(byId.length + found.length, `row ${n}`).toBe(2);
    }
  });
});
