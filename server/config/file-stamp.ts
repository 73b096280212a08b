/**
 * What identifies a version of a small file (a certificate, a key, a CA bundle): a digest of
 * its bytes, read at each check. A rewrite in place can keep a file's size and, within a clock
 * tick, its mtime, so neither tells a renewal apart; a few kilobytes hashed once a minute cost
 * nothing.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** How often a node looks at the TLS files it was configured with (SIGHUP: at once). */
export const FILE_CHECK_EVERY_MS = 60_000;

/** What a look at a watched file found. */
export type ReloadOutcome = 'unchanged' | 'reloaded' | 'failed';

export function fileStamp(path: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch (err) {
    return `unreadable:${(err as NodeJS.ErrnoException).code ?? ''}`;
  }
}
