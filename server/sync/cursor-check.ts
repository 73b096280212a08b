/**
 * Checks a subscriber's cursor vector before anything is streamed: a bad cursor is an error
 * naming it, not something silently skipped (which would resend an origin from its start).
 */
import { invalidArgument } from '../../shared/errors.js';
import { publicKeyFromNodeId } from '../../shared/node-id.js';
import type { CursorFields } from './outbox.js';

/** More origins than any federation has members; bounds the work one request can ask for. */
export const MAX_CURSORS = 10_000;

export function checkCursors(cursors: readonly { origin: string; epoch: number; seq: bigint; hash: Uint8Array }[]): CursorFields[] {
  if (cursors.length > MAX_CURSORS) throw invalidArgument('cursors', `at most ${MAX_CURSORS} cursors per request, got ${cursors.length}`);
  const seen = new Set<string>();
  return cursors.map((c, i) => {
    const field = `cursors[${i}]`;
    publicKeyFromNodeId(c.origin, `${field}.origin`);
    if (seen.has(c.origin)) throw invalidArgument(`${field}.origin`, 'the same origin appears twice', { index: String(i) });
    seen.add(c.origin);
    if (c.seq > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidArgument(`${field}.seq`, 'beyond 2^53', { index: String(i) });
    if (c.seq > 0n && c.epoch < 1) throw invalidArgument(`${field}.epoch`, 'epochs start at 1', { index: String(i) });
    if (c.hash.length !== 0 && c.hash.length !== 32) throw invalidArgument(`${field}.hash`, 'an entry hash is 32 bytes', { index: String(i) });
    return { origin: c.origin, epoch: c.epoch, seq: Number(c.seq), hash: c.hash };
  });
}
