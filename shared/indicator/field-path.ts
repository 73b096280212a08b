/**
 * Field paths in errors. A batch names an item "items[3]"; every error inside it then names
 * "items[3].value" and carries details.index = "3", so a client can point at the bad line
 * without parsing the path.
 */
import { DtxError, invalidArgument } from '../errors.js';

/** `${path}.${field}`, or just field at the top level. */
export function fieldAt(path: string, field: string): string {
  return path === '' ? field : `${path}.${field}`;
}

/** The N of a path ending in "[N]", or undefined. */
export function indexFromPath(path: string): string | undefined {
  return /\[(\d+)\]$/.exec(path)?.[1];
}

/**
 * Adds details.index to an error thrown while checking the item at `path`. Checks deeper down
 * (value rules, durations) only know their field name; this saves threading the index through.
 */
export function withPathIndex(err: unknown, path: string): unknown {
  const index = indexFromPath(path);
  if (index === undefined || !(err instanceof DtxError) || err.details.index !== undefined) return err;
  return new DtxError(err.code, err.message, {
    details: { ...err.details, index },
    cause: err.cause,
  });
}

/** A batch of `count` items ("items" in every batch request) must hold 1 to `max`. */
export function checkBatchSize(count: number, max: number): void {
  if (count === 0) throw invalidArgument('items', 'the batch is empty');
  if (count > max) throw invalidArgument('items', `the batch has ${count} items; at most ${max} per call`);
}
