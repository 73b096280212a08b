/**
 * What the applier makes of received entries: an entry with its header and place in the
 * message, one it accepted, a run of one origin to store, and the evidence of a fork.
 */
import type { EntryHeader } from '../../shared/log/entry-header.js';
import type { SignedEntry } from '../../shared/log/entry.js';
import { readIndicatorViewFields, type IndicatorViewFields } from '../../shared/log/indicator-payload-reader.js';
import type { OriginRow } from '../db/log-store.js';
import type { HaltRow } from '../db/peer-store.js';

/** A received entry with its decoded header and its place in the message. */
export interface Item {
  entry: SignedEntry;
  header: EntryHeader;
  index: number;
}

export interface Accepted {
  entry: SignedEntry;
  header: EntryHeader;
  hash: Uint8Array;
  /** The decoded payload of an indicator entry (decoded once, for the RED check and the view). */
  indicator?: IndicatorViewFields;
}

export interface Run {
  key: Uint8Array;
  origin: OriginRow | undefined;
  entries: Accepted[];
  /** Entries of this node's own log, taken back from a peer. */
  own: boolean;
}

export function forkEvidence(origin: number, header: EntryHeader, stored: { header: Buffer; signature: Buffer }, entry: SignedEntry, via: string, since: number): HaltRow {
  return {
    origin,
    reason: 'FORK',
    since,
    epoch: header.epoch,
    seq: header.seq,
    headerA: stored.header,
    signatureA: stored.signature,
    headerB: Buffer.from(entry.header),
    signatureB: Buffer.from(entry.signature),
    via,
  };
}

/** The payload of an indicator entry, or undefined when this node cannot read it (kept, not indexed). */
export function tryReadIndicator(payload: Uint8Array): IndicatorViewFields | undefined {
  try {
    return readIndicatorViewFields(payload);
  } catch {
    return undefined;
  }
}
