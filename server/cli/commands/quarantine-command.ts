/**
 * dtx quarantine: the entries peers sent that this node did not apply, newest first, with the
 * reason and the bytes as received: the evidence behind the rejected counts of `dtx status`.
 * For a stopped node (--data), what its database holds.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ListQuarantineRequestSchema, ListQuarantineResponse } from '../../../shared/gen/dtx/v1/peer_service_pb.js';
import { readRuntime } from '../../config/runtime-file.js';
import { DEFAULT_QUARANTINE_LIMIT } from '../../sync/quarantine-listing.js';
import { formatOf, wholeNumberFlag, withClientOptions, type ClientFlags } from '../common.js';
import { withClient } from '../connect.js';
import { offlineQuarantine } from '../offline-status.js';
import { hexOf, notice, printRows, shortId } from '../output.js';

interface QuarantineFlags extends ClientFlags {
  peer?: string;
  origin?: string;
  reason?: string;
  limit: string;
  before?: string;
}


/** One quarantined entry as `--json` prints it: ids in full, bytes in hex. */
function entryJson(e: ListQuarantineResponse['entries'][number]) {
  return {
    id: Number(e.id),
    receivedAt: new Date(Number(e.receivedAtMs)).toISOString(),
    peer: e.peer,
    origin: e.origin,
    epoch: e.epoch,
    seq: Number(e.seq),
    reason: e.reason,
    detail: e.detail,
    header: hexOf(e.entry?.header),
    signature: hexOf(e.entry?.signature),
    payload: hexOf(e.entry?.payload),
  };
}

export function registerQuarantineCommand(program: Command): void {
  withClientOptions(
    program
      .command('quarantine')
      .description('entries peers sent that this node did not apply, newest first, with the reason (admin)')
      .option('--peer <nodeId>', 'only entries received from this peer')
      .option('--origin <nodeId>', 'only entries of this origin')
      .option('--reason <code>', 'only this reason (BAD_SIGNATURE, CHAIN_BROKEN, FORK, REPLAY, ...)')
      .option('--limit <n>', 'at most this many entries (up to 1000)', String(DEFAULT_QUARANTINE_LIMIT))
      .option('--before <id>', 'only entries older than this id (the next page)'),
  ).action(async (flags: QuarantineFlags) => {
    const request = {
      peer: flags.peer ?? '',
      origin: flags.origin ?? '',
      reason: flags.reason ?? '',
      limit: wholeNumberFlag(flags.limit, 'limit', 1)!,
      beforeId: BigInt(wholeNumberFlag(flags.before, 'before', 1) ?? 0),
    } satisfies MessageInitShape<typeof ListQuarantineRequestSchema>;
    const dir = flags.data && !flags.node ? resolve(flags.data) : undefined;
    const stopped = dir !== undefined && !readRuntime(dir);
    const response = stopped ? await offlineQuarantine(dir, request) : await withClient(flags, (client) => client.listQuarantine(request));
    // Said once the filters passed: an error stays the only line on stderr.
    if (stopped) notice(`the node in ${dir} is not running: showing what its database holds`);
    const entries = response.entries.map(entryJson);
    const total = Number(response.total);
    const last = entries.at(-1);
    // More pages exist when this one is full; the next starts before its last id.
    const next = last && entries.length === request.limit ? last.id : undefined;
    const format = formatOf(flags);
    if (format === 'json') {
      process.stdout.write(`${JSON.stringify({ total, entries, next: next ?? null }, null, 2)}\n`);
      return;
    }
    if (format === 'ndjson') {
      printRows(entries, format, []);
      return;
    }
    if (total === 0) {
      notice('nothing quarantined' + (flags.peer || flags.origin || flags.reason ? ' that matches' : ''));
      return;
    }
    const rows = entries.map((e) => ({ id: e.id, received: e.receivedAt, peer: shortId(e.peer), origin: shortId(e.origin), at: `${e.epoch}:${e.seq}`, reason: e.reason, detail: e.detail }));
    printRows(rows, 'table', ['id', 'received', 'peer', 'origin', 'at', 'reason', 'detail']);
    notice(`${entries.length} of ${total} quarantined${next === undefined ? '' : `; next page: --before ${next}`}; --json for ids in full and the bytes as received`);
  });
}
