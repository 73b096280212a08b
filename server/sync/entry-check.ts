/**
 * Sorting one origin's run of received entries against what this node holds: which extend the
 * chain, which it already has, and what is wrong with the rest. Pure decisions over decoded
 * entries; the applier does the storing.
 */
import { bytesEqual } from '../../shared/encoding/hex.js';
import type { ChainHead } from '../../shared/log/chain-verifier.js';
import type { EntryHeader } from '../../shared/log/entry-header.js';
import { ZERO_HASH } from '../../shared/log/entry-header.js';

export interface Position {
  epoch: number;
  seq: number;
}

export function compare(a: Position, b: Position): number {
  return a.epoch !== b.epoch ? a.epoch - b.epoch : a.seq - b.seq;
}

export type Placement =
  /** Extends the chain from the head. */
  | { kind: 'next' }
  /** At or before the head: this node holds an entry there already. */
  | { kind: 'held' }
  /** Cannot follow the head: a gap, a reordering, or a different chain. */
  | { kind: 'broken'; detail: string };

/** The two answers without detail, made once: place() runs for every received entry. */
const NEXT: Placement = Object.freeze({ kind: 'next' });
const HELD: Placement = Object.freeze({ kind: 'held' });

/** Where an entry falls relative to the local head (undefined: nothing held yet). */
export function place(header: EntryHeader, head: ChainHead | undefined): Placement {
  if (head && compare(header, head) <= 0) return HELD;
  const expectedPrev = head ? head.hash : ZERO_HASH;
  if (!head) {
    if (header.seq !== 1) return { kind: 'broken', detail: `gap: this node holds nothing of the origin yet, got seq ${header.seq}` };
  } else if (header.epoch === head.epoch) {
    if (header.seq !== head.seq + 1) return { kind: 'broken', detail: `gap: expected seq ${head.seq + 1}, got ${header.seq}` };
  } else if (header.seq !== 1) {
    return { kind: 'broken', detail: `epoch ${header.epoch} must start at seq 1, got ${header.seq}` };
  }
  if (!bytesEqual(header.prevHash, expectedPrev)) {
    return { kind: 'broken', detail: `seq ${header.seq}: prev_hash does not match the entry this node holds before it` };
  }
  return NEXT;
}
