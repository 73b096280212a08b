/**
 * What the applier keeps per subscription stream and per peer: the positions a stream has
 * delivered (a stream only moves forward, so anything else is a replay), the origins it sent
 * something wrong for, and the running totals that status reports.
 */
import type { ErrorCode } from '../../shared/errors.js';
import type { Position } from './entry-check.js';

/** What one subscription stream has delivered; a new connection starts a new one. */
export interface StreamState {
  /** Per origin node id: the furthest position delivered (starting at the cursor sent). */
  positions: Map<string, Position>;
  /** Origins this stream sent something wrong for, ignored until the next connection. */
  rejected: Map<string, ErrorCode>;
}

export function newStreamState(cursors: readonly { origin: string; epoch: number; seq: number }[]): StreamState {
  return { positions: new Map(cursors.map((c) => [c.origin, { epoch: c.epoch, seq: c.seq }])), rejected: new Map() };
}

/** Running totals per peer, for status. */
export interface PeerCounters {
  applied: number;
  duplicates: number;
  rejected: Map<string, number>;
}

export function newCounters(): PeerCounters {
  return { applied: 0, duplicates: 0, rejected: new Map() };
}
