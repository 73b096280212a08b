/**
 * Follows one origin's log entry by entry and checks every link: same origin, epoch never
 * going back, seq gap-free (restarting at 1 in a new epoch), prev_hash equal to the hash of
 * the entry before. Signatures are checked per entry unless the caller verifies them in bulk.
 */
import { bytesEqual, toHex } from '../encoding/hex.js';
import { DtxError } from '../errors.js';
import { checkEntry, type CheckedEntry, type SignedEntry } from './entry.js';
import { ZERO_HASH } from './entry-header.js';

export interface ChainHead {
  epoch: number;
  seq: number;
  hash: Uint8Array;
}

export class ChainVerifier {
  private head: ChainHead | undefined;

  constructor(
    private readonly origin: Uint8Array,
    head?: ChainHead,
  ) {
    this.head = head;
  }

  get current(): ChainHead | undefined {
    return this.head;
  }

  /** Checks the next entry and advances; throws (and does not advance) when anything is wrong. */
  push(entry: SignedEntry, options: { signature: boolean } = { signature: true }): CheckedEntry {
    const checked = checkEntry(entry, options);
    const { header } = checked;
    if (!bytesEqual(header.origin, this.origin)) {
      throw new DtxError('CHAIN_BROKEN', `seq ${header.seq}: entry belongs to another origin`);
    }
    const head = this.head;
    const expectedPrev = head ? head.hash : ZERO_HASH;
    if (!head) {
      if (header.seq !== 1) throw new DtxError('CHAIN_BROKEN', `log starts at seq ${header.seq}, expected 1`, { details: { seq: String(header.seq) } });
    } else if (header.epoch === head.epoch) {
      if (header.seq !== head.seq + 1) {
        throw new DtxError('CHAIN_BROKEN', `expected seq ${head.seq + 1}, got ${header.seq}`, { details: { seq: String(header.seq) } });
      }
    } else if (header.epoch > head.epoch) {
      if (header.seq !== 1) throw new DtxError('CHAIN_BROKEN', `epoch ${header.epoch} must start at seq 1, got ${header.seq}`);
    } else {
      throw new DtxError('CHAIN_BROKEN', `epoch went back from ${head.epoch} to ${header.epoch}`);
    }
    if (!bytesEqual(header.prevHash, expectedPrev)) {
      throw new DtxError('CHAIN_BROKEN', `seq ${header.seq}: prev_hash ${toHex(header.prevHash).slice(0, 16)}... does not match the previous entry`, {
        details: { seq: String(header.seq) },
      });
    }
    this.head = { epoch: header.epoch, seq: header.seq, hash: checked.hash };
    return checked;
  }
}
