/**
 * Audits a whole origin log: every signature and every chain link, reporting each problem
 * instead of stopping at the first, so `dtx verify` can say everything that is wrong.
 */
import { toHex } from '../encoding/hex.js';
import { DtxError, type ErrorCode } from '../errors.js';
import { ChainVerifier } from './chain-verifier.js';
import { checkEntry, type SignedEntry } from './entry.js';

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

export async function auditLog(origin: Uint8Array, batches: AsyncIterable<SignedEntry[]> | Iterable<SignedEntry[]>): Promise<AuditReport> {
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
          const checked = checkEntry(entry, { signature: false });
          seq = checked.header.seq;
          verifier = new ChainVerifier(origin, { epoch: checked.header.epoch, seq, hash: checked.hash });
        } catch {
          // Undecodable: keep the previous anchor.
        }
        if (problems.length < MAX_REPORTED_PROBLEMS) problems.push({ seq, code: err.code, message: err.message });
      }
    }
  }
  const head = verifier.current;
  return { entries, head: head && { epoch: head.epoch, seq: head.seq, hash: toHex(head.hash) }, problems };
}
