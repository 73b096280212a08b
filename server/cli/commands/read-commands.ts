/** dtx get, dtx query, dtx log: read indicators and the signed log. */
import type { Command } from 'commander';
import { initCrypto } from '../../../shared/crypto.js';
import { decodeHeader } from '../../../shared/log/entry-header.js';
import { entryHash, type SignedEntry } from '../../../shared/log/entry.js';
import { toHex } from '../../../shared/encoding/hex.js';
import { nodeIdFromPublicKey } from '../../../shared/node-id.js';
import { formatOf, withClientOptions, type ClientFlags } from '../common.js';
import { withClient } from '../connect.js';
import { indicatorRow, INDICATOR_COLUMNS } from '../indicator-view.js';
import { printRecord, printRows, stringify, type Row } from '../output.js';
import { describePayload, payloadTypeName } from '../payload-summary.js';

interface QueryFlags extends ClientFlags {
  kind: string;
  value: string;
  includeRetracted?: boolean;
  includeExpired?: boolean;
}

interface LogFlags extends ClientFlags {
  origin?: string;
  after?: string;
  limit?: string;
}

export function registerReadCommands(program: Command): void {
  withClientOptions(program.command('get').description('show one indicator by id').argument('<id>', 'indicator id (UUID)')).action(
    async (id: string, flags: ClientFlags) => {
      const indicator = await withClient(flags, (client) => client.getIndicator(id));
      printRecord(indicatorRow(indicator), formatOf(flags));
    },
  );

  withClientOptions(
    program
      .command('query')
      .description('exact lookup of one (kind, value) across all origins this node holds')
      .requiredOption('--kind <kind>', 'indicator kind')
      .requiredOption('--value <value>', 'value to look up')
      .option('--include-retracted', 'also show retracted indicators')
      .option('--include-expired', 'also show expired indicators'),
  ).action(async (flags: QueryFlags) => {
    const results = await withClient(flags, (client) =>
      client.lookup([{ kind: flags.kind, value: flags.value }], {
        includeRetracted: flags.includeRetracted ?? false,
        includeExpired: flags.includeExpired ?? false,
      }),
    );
    const rows = results.flatMap((r) => r.matches.map(indicatorRow));
    const format = formatOf(flags);
    printRows(rows, format, ['origin', ...INDICATOR_COLUMNS]);
    if (rows.length === 0 && format === 'table') process.stderr.write('no matching indicators\n');
  });

  withClientOptions(
    program
      .command('log')
      .description("print an origin's signed log (default: this node's own)")
      .option('--origin <node-id>', 'origin node id')
      .option('--after <seq>', 'start after this seq', '0')
      .option('--limit <n>', 'at most this many entries (0: all)', '0'),
  ).action(async (flags: LogFlags) => {
    await initCrypto();
    const format = formatOf(flags);
    const rows: Row[] = [];
    await withClient(flags, async (client) => {
      const stream = client.readLog({ origin: flags.origin, afterSeq: Number(flags.after ?? 0), limit: Number(flags.limit ?? 0) });
      for await (const batch of stream) {
        for (const entry of batch) {
          const row = logRow(entry, format !== 'table');
          // NDJSON streams as it reads: a long log never has to fit in memory.
          if (format === 'ndjson') process.stdout.write(`${stringify(row)}\n`);
          else rows.push(row);
        }
      }
    });
    if (format !== 'ndjson') printRows(rows, format, ['seq', 'time', 'type', 'hash', 'summary']);
  });
}

/** One log entry for display; machine formats also carry the exact signed bytes in hex. */
function logRow(entry: SignedEntry, withBytes: boolean): Row {
  const h = decodeHeader(entry.header);
  const hash = toHex(entryHash(entry.header, entry.signature));
  const row: Row = {
    origin: nodeIdFromPublicKey(h.origin),
    epoch: h.epoch,
    seq: h.seq,
    time: new Date(h.timestampMs).toISOString(),
    type: payloadTypeName(h.payloadType),
    hash: withBytes ? hash : hash.slice(0, 16),
    summary: describePayload(h.payloadType, entry.payload),
  };
  if (withBytes) Object.assign(row, { header: toHex(entry.header), signature: toHex(entry.signature), payload: toHex(entry.payload) });
  return row;
}
