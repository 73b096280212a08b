/**
 * Verifies what a node serves: streams each origin log it holds and checks every signature and
 * chain link client-side, then compares the node's claimed head with what was verified.
 */
import { auditLog, type AuditReport } from '../shared/log/log-audit.js';
import { toHex } from '../shared/encoding/hex.js';
import { publicKeyFromNodeId } from '../shared/node-id.js';
import type { DtxClient } from './dtx-client.js';

export interface OriginAudit extends AuditReport {
  origin: string;
}

/** onProgress hears (entries checked, entries the node claims in all) as the check goes. */
export async function verifyNodeLog(client: DtxClient, onProgress?: (done: number, total: number) => void): Promise<OriginAudit[]> {
  const heads = await client.listHeads();
  const total = heads.reduce((n, h) => n + Number(h.seq), 0);
  let before = 0;
  const reports: OriginAudit[] = [];
  for (const head of heads) {
    const report = await auditLog(publicKeyFromNodeId(head.origin), client.readLog({ origin: head.origin }), (n) => onProgress?.(before + n, total));
    before += report.entries;
    const claimed = { seq: Number(head.seq), hash: toHex(head.hash) };
    if (!report.head || report.head.seq !== claimed.seq || report.head.hash !== claimed.hash) {
      report.problems.push({
        seq: claimed.seq,
        code: 'CHAIN_BROKEN',
        message: `node claims head seq ${claimed.seq} but the log it served ends at seq ${report.head?.seq ?? 0}`,
      });
    }
    reports.push({ origin: head.origin, ...report });
  }
  return reports;
}
