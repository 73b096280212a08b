/**
 * dtx status: the node's heads per origin, each peer's state, last error and lag, and, loudly,
 * any origin this node halted because it forked. For a stopped node (--data), what its
 * database holds.
 */
import type { Command } from 'commander';
import type { GetStatusResponse } from '../../../shared/gen/dtx/v1/peer_service_pb.js';
import { formatOf, withClientOptions, type ClientFlags } from '../common.js';
import { withClient } from '../connect.js';
import { resolve } from 'node:path';
import { readRuntime } from '../../config/runtime-file.js';
import { offlineStatus } from '../offline-status.js';
import { hexOf, notice, renderTable, shortId, stringify } from '../output.js';


/** The JSON shape of `dtx status --json` (documented in docs/federation.md). */
export function statusJson(s: GetStatusResponse) {
  return {
    nodeId: s.nodeId,
    heads: Object.fromEntries(s.heads.map((h) => [h.origin, { epoch: h.epoch, seq: Number(h.seq), hash: hexOf(h.hash) }])),
    peers: s.peers.map((p) => ({
      id: p.id,
      name: p.name,
      url: p.url,
      state: p.state,
      lastError: p.lastError,
      lag: Object.fromEntries(p.lag.map((l) => [l.origin, { entries: Number(l.entries), seconds: l.seconds }])),
      applied: Number(p.applied),
      duplicates: Number(p.duplicates),
      rejected: Object.fromEntries(p.rejected.map((r) => [r.reason, Number(r.count)])),
    })),
    halted: s.halted.map((h) => ({
      origin: h.origin,
      reason: h.reason,
      since: new Date(Number(h.sinceMs)).toISOString(),
      epoch: h.epoch,
      seq: Number(h.seq),
      via: h.via,
      evidence: h.headerA.length > 0 ? { headerA: hexOf(h.headerA), signatureA: hexOf(h.signatureA), headerB: hexOf(h.headerB), signatureB: hexOf(h.signatureB) } : undefined,
    })),
    quarantined: Number(s.quarantined),
  };
}

function printTable(status: ReturnType<typeof statusJson>): void {
  const out: string[] = [];
  for (const h of status.halted) {
    out.push(`!!! HALTED ORIGIN ${h.origin}: ${h.reason} at epoch ${h.epoch} seq ${h.seq} (via ${h.via || 'unknown'}, since ${h.since}); entries from it are refused`);
  }
  out.push(`node ${status.nodeId}`, '');
  const heads = Object.entries(status.heads).map(([origin, h]) => ({ origin: origin === status.nodeId ? `${origin} (this node)` : origin, epoch: h.epoch, seq: h.seq, hash: `${h.hash.slice(0, 16)}…` }));
  out.push(heads.length > 0 ? renderTable(heads, ['origin', 'epoch', 'seq', 'hash'], 80) : 'no entries yet', '');
  const peers = status.peers.map((p) => {
    const lags = Object.entries(p.lag).filter(([, l]) => l.entries > 0);
    const rejected = Object.entries(p.rejected).map(([reason, n]) => `${reason}:${n}`).join(' ');
    return {
      peer: p.name ? `${p.name} ${shortId(p.id)}` : shortId(p.id),
      url: p.url,
      state: p.state,
      lag: lags.length === 0 ? '0' : lags.map(([o, l]) => `${shortId(o)} ${l.entries} (${l.seconds.toFixed(1)}s)`).join('; '),
      applied: p.applied,
      rejected,
      'last error': p.lastError,
    };
  });
  out.push(peers.length > 0 ? renderTable(peers, ['peer', 'url', 'state', 'lag', 'applied', 'rejected', 'last error'], 60) : 'no peers: dtx peer add --id NODE_ID --url HOST:PORT');
  if (status.quarantined > 0) out.push('', `${status.quarantined} received entries quarantined (not applied): dtx quarantine lists them`);
  process.stdout.write(`${out.join('\n')}\n`);
}

export function registerStatusCommand(program: Command): void {
  withClientOptions(program.command('status').description("the node's heads, its peers' state and lag, and halted origins")).action(async (flags: ClientFlags) => {
    const dir = flags.data && !flags.node ? resolve(flags.data) : undefined;
    const stopped = dir !== undefined && !readRuntime(dir);
    if (stopped) notice(`the node in ${dir} is not running: showing what its database holds`);
    const status = statusJson(stopped ? await offlineStatus(dir) : await withClient(flags, (client) => client.status()));
    const format = formatOf(flags);
    if (format === 'table') printTable(status);
    else process.stdout.write(`${stringify(status, format === 'json' ? 2 : undefined)}\n`);
    if (status.halted.length > 0) process.exitCode = 3;
  });
}
