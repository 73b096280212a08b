/** Options shared by client commands, and the error reporter for the whole CLI. */
import { Option, type Command } from 'commander';
import { DtxError } from '../../shared/errors.js';
import { OUTPUT_FORMATS, parseFormat, type OutputFormat } from './output.js';
import type { ConnectFlags } from './connect.js';

export interface ClientFlags extends ConnectFlags {
  format?: string;
  json?: boolean;
}

export function withClientOptions(command: Command): Command {
  return command
    .option('--data <dir>', 'data directory of a local node (address and admin token are read from it)')
    .option('--node <host:port>', 'address of the node, https://HOST:PORT for TLS (or DTX_NODE; DTX_TLS_CA names a CA file to trust)')
    .option('--token <token>', 'API token (or DTX_TOKEN); never logged')
    .addOption(new Option('--format <format>', 'output format').choices([...OUTPUT_FORMATS]).default('table'))
    .option('--json', 'same as --format json');
}

export function formatOf(flags: ClientFlags): OutputFormat {
  return parseFormat(flags.format, flags.json);
}

/** One clear line on stderr; the exit code says what kind of failure it was. */
export function reportError(err: unknown): number {
  if (err instanceof DtxError) {
    process.stderr.write(`dtx: ${err.message}${err.code === 'INTERNAL' ? '' : ` [${err.code}]`}\n`);
    return err.code === 'INVALID_ARGUMENT' ? 2 : 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`dtx: unexpected error: ${message}\n`);
  return 1;
}

/** A whole-number flag (`--name`), at least `min` when given, or an error naming the flag. */
export function wholeNumberFlag(text: string | undefined, name: string, min?: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || (min !== undefined && n < min)) {
    const expected = min === undefined ? 'a whole number' : `a whole number of at least ${min}`;
    throw new DtxError('INVALID_ARGUMENT', `--${name}: expected ${expected}, got "${text}"`, { details: { field: name } });
  }
  return n;
}
