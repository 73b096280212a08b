/**
 * Command output: a readable table by default, JSON or NDJSON on request. Data goes to
 * stdout; progress and notices go to stderr, so pipes carry only data.
 */
import { DtxError } from '../../shared/errors.js';

export type OutputFormat = 'table' | 'json' | 'ndjson';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'ndjson'];

export function parseFormat(text: string | undefined, json = false): OutputFormat {
  if (json) return 'json';
  const format = (text ?? 'table') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format)) throw new DtxError('INVALID_ARGUMENT', `--format: expected one of ${OUTPUT_FORMATS.join(', ')}`);
  return format;
}

export type Row = Record<string, unknown>;

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

export function stringify(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), indent);
}

/** Aligned columns with a header line, like kubectl; long cells are cut to keep rows on one line. */
export function renderTable(rows: readonly Row[], columns: readonly string[], maxWidth = 66): string {
  const cells = rows.map((row) => columns.map((c) => {
    const text = cell(row[c]).replace(/\s+/g, ' ');
    return text.length > maxWidth ? `${text.slice(0, maxWidth - 1)}…` : text;
  }));
  const headers = columns.map((c) => c.toUpperCase());
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

/** Key/value lines for one record. */
export function renderRecord(row: Row): string {
  const keys = Object.keys(row);
  const width = Math.max(...keys.map((k) => k.length));
  return keys.map((k) => `${k.padEnd(width)}  ${cell(row[k])}`).join('\n');
}

export function printRows(rows: readonly Row[], format: OutputFormat, columns: readonly string[]): void {
  if (format === 'json') process.stdout.write(`${stringify(rows, 2)}\n`);
  else if (format === 'ndjson') for (const row of rows) process.stdout.write(`${stringify(row)}\n`);
  else if (rows.length > 0) process.stdout.write(`${renderTable(rows, columns)}\n`);
}

export function printRecord(row: Row, format: OutputFormat): void {
  if (format === 'json') process.stdout.write(`${stringify(row, 2)}\n`);
  else if (format === 'ndjson') process.stdout.write(`${stringify(row)}\n`);
  else process.stdout.write(`${renderRecord(row)}\n`);
}

export function notice(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Bytes as lower-case hex (empty for none), as JSON output shows signatures and hashes. */
export const hexOf = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? []).toString('hex');

/** A node id cut to fit a table column. */
export const shortId = (id: string): string => (id.length > 16 ? `${id.slice(0, 12)}…` : id);
