/**
 * Audits a whole origin log: every signature and every chain link, reporting each problem
 * instead of stopping at the first, so `dtx verify` can say everything that is wrong.
 */
import { toHex } from '../encoding/hex.js';
import { DtxError, type ErrorCode } from '../errors.js';
import { ChainVerifier } from './chain-verifier.js';
import { entryHash, type SignedEntry } from './entry.js';
import { decodeHeader } from './entry-header.js';

export interface AuditProblem {
  seq: number | undefined;
  code: ErrorCode;
  message: string;
}

export interface AuditReport {
  entries: number;
  head: { epoch: number; seq: number; hash: string } | undefined;
  problems: AuditProblem[];
}

export const MAX_REPORTED_PROBLEMS = 100;

/** onBatch, when given, hears the running count of entries checked (for progress on long logs). */
export async function auditLog(
  origin: Uint8Array,
  batches: AsyncIterable<SignedEntry[]> | Iterable<SignedEntry[]>,
  onBatch?: (entriesChecked: number) => void,
): Promise<AuditReport> {
  let verifier = new ChainVerifier(origin);
  let entries = 0;
  const problems: AuditProblem[] = [];
  for await (const batch of batches) {
    for (const entry of batch) {
      entries++;
      try {
        verifier.push(entry);
      } catch (err) {
        if (!(err instanceof DtxError)) throw err;
        let seq: number | undefined;
        try {
          // Re-anchor on the bad entry so later problems are found too, not hidden behind this one.
          // Only the header is read: the entry hash covers header and signature, not the payload,
          // so an altered payload still links correctly to the next entry.
          const header = decodeHeader(entry.header);
          seq = header.seq;
          verifier = new ChainVerifier(origin, { epoch: header.epoch, seq, hash: entryHash(entry.header, entry.signature) });
        } catch {
          // Undecodable: keep the previous anchor.
        }
        if (problems.length < MAX_REPORTED_PROBLEMS) problems.push({ seq, code: err.code, message: err.message });
      }
    }
    onBatch?.(entries);
  }
  const head = verifier.current;
  return { entries, head: head && { epoch: head.epoch, seq: head.seq, hash: toHex(head.hash) }, problems };
}
