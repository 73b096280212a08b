/**
 * Offline audit of a data directory's database: every origin log, every signature and link,
 * and each origin's recorded head against the last stored entry.
 */
import type { OriginAudit } from '../../client/index.js';
import { toHex } from '../../shared/encoding/hex.js';
import type { SignedEntry } from '../../shared/log/entry.js';
import { auditLog } from '../../shared/log/log-audit.js';
import { nodeIdFromPublicKey } from '../../shared/node-id.js';
import { dataPath, requireInitialized } from '../config/data-dir.js';
import { openDatabase } from '../db/database.js';
import { LogStore } from '../db/log-store.js';

const PAGE = 5000;

function* pages(store: LogStore, origin: number): Generator<SignedEntry[]> {
  let epoch = 0;
  let seq = 0;
  for (;;) {
    const rows = store.readAfter(origin, epoch, seq, PAGE);
    if (rows.length === 0) return;
    yield rows;
    epoch = rows[rows.length - 1]!.epoch;
    seq = rows[rows.length - 1]!.seq;
  }
}

export async function auditDatabase(dir: string): Promise<OriginAudit[]> {
  requireInitialized(dir);
  const db = openDatabase(dataPath(dir, 'database'), { readonly: true });
  try {
    const store = new LogStore(db);
    const reports: OriginAudit[] = [];
    for (const origin of store.origins()) {
      const report = await auditLog(new Uint8Array(origin.key), pages(store, origin.idx));
      const recorded = origin.headHash ? toHex(origin.headHash) : undefined;
      if (report.head?.seq !== (origin.headSeq || undefined) || report.head?.hash !== recorded) {
        report.problems.push({
          seq: origin.headSeq,
          code: 'CHAIN_BROKEN',
          message: `recorded head seq ${origin.headSeq} does not match the last stored entry (seq ${report.head?.seq ?? 0})`,
        });
      }
      if (report.entries !== origin.entryCount) {
        report.problems.push({ seq: undefined, code: 'CHAIN_BROKEN', message: `recorded ${origin.entryCount} entries, found ${report.entries}` });
      }
      reports.push({ origin: nodeIdFromPublicKey(origin.key), ...report });
    }
    return reports;
  } finally {
    db.close();
  }
}
