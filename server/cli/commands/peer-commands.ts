/**
 * dtx peer add | list | remove | lift-halt: the federation roster, and origins halted after a
 * fork. On a running node the change goes through the admin API and takes effect at once; on a
 * stopped one (--data DIR) it is written to the database and applies at the next start.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { PeerRow } from '../../db/peer-store.js';
import { readRuntime } from '../../config/runtime-file.js';
import { formatOf, withClientOptions, type ClientFlags } from '../common.js';
import { withClient } from '../connect.js';
import { liftHaltOffline, withOfflineRoster } from '../offline-roster.js';
import { notice, printRecord, printRows, type Row } from '../output.js';

interface AddFlags extends ClientFlags {
  id: string;
  url: string;
  name?: string;
  subscribe: boolean;
}

const COLUMNS = ['id', 'name', 'url', 'subscribe', 'added'];

function row(p: { id: string; url: string; name: string; subscribe: boolean; addedAtMs: number }): Row {
  return { id: p.id, name: p.name, url: p.url, subscribe: p.subscribe, added: new Date(p.addedAtMs).toISOString() };
}

const fromRow = (p: PeerRow) => row({ id: p.nodeId, url: p.url, name: p.name, subscribe: p.subscribe, addedAtMs: p.addedAt });

/** A stopped node named by --data (and no --node): edit its database directly. */
function offlineDir(flags: ClientFlags): string | undefined {
  if (!flags.data || flags.node) return undefined;
  const dir = resolve(flags.data);
  return readRuntime(dir) ? undefined : dir;
}

export function registerPeerCommands(program: Command): void {
  const peer = program.command('peer').description('manage the federation roster: the member labs this node trusts and subscribes to');

  withClientOptions(
    peer
      .command('add')
      .description("trust a member lab's node as an origin, let it subscribe here, and subscribe to it")
      .requiredOption('--id <nodeId>', "the peer's node id (dtx...; it pins the peer's key)")
      .requiredOption('--url <host:port>', "the peer's gRPC address: HOST:PORT, or https://HOST:PORT for TLS")
      .option('--name <lab>', 'a readable name for the peer')
      .option('--no-subscribe', 'trust and allow only; do not subscribe to it'),
  ).action(async (flags: AddFlags) => {
    const request = { id: flags.id, url: flags.url, name: flags.name ?? '', subscribe: flags.subscribe };
    const dir = offlineDir(flags);
    if (dir) {
      const { peer: added, created } = await withOfflineRoster(dir, (roster) => roster.add(request));
      printRecord({ ...fromRow(added), created }, formatOf(flags));
      notice('the node is not running: the peer takes effect when it starts');
      return;
    }
    const response = await withClient(flags, (client) => client.addPeer({ id: request.id, url: request.url, name: request.name, noSubscribe: !request.subscribe }));
    const p = response.peer!;
    printRecord({ ...row({ ...p, addedAtMs: Number(p.addedAtMs) }), created: response.created }, formatOf(flags));
  });

  withClientOptions(peer.command('list').description('list the roster')).action(async (flags: ClientFlags) => {
    const dir = offlineDir(flags);
    const rows = dir
      ? await withOfflineRoster(dir, (roster) => roster.peers().map(fromRow))
      : (await withClient(flags, (client) => client.listPeers())).map((p) => row({ ...p, addedAtMs: Number(p.addedAtMs) }));
    printRows(rows, formatOf(flags), COLUMNS);
    if (rows.length === 0 && formatOf(flags) === 'table') notice('no peers yet: dtx peer add --id NODE_ID --url HOST:PORT');
  });

  withClientOptions(
    peer.command('remove').description('remove a peer: stop trusting it, cut its subscriptions, stop subscribing').argument('<id>', "the peer's node id"),
  ).action(async (id: string, flags: ClientFlags) => {
    const dir = offlineDir(flags);
    if (dir) await withOfflineRoster(dir, (roster) => roster.remove(id));
    else await withClient(flags, (client) => client.removePeer(id));
    printRecord({ id, removed: true }, formatOf(flags));
  });

  withClientOptions(
    peer
      .command('lift-halt')
      .description('accept entries of an origin halted after a fork again (those that extend the log this node holds); the conflicting entry stays in quarantine')
      .argument('<origin>', "the halted origin's node id (dtx status lists halts)"),
  ).action(async (origin: string, flags: ClientFlags) => {
    const dir = offlineDir(flags);
    const lifted = dir
      ? await liftHaltOffline(dir, origin).then((h) => ({ origin: h.originId, reason: h.reason, epoch: h.epoch, seq: h.seq, via: h.via, sinceMs: h.since }))
      : await withClient(flags, (client) => client.liftHalt(origin)).then((h) => ({ ...h, seq: Number(h.seq), sinceMs: Number(h.sinceMs) }));
    printRecord(
      { origin: lifted.origin, lifted: true, reason: lifted.reason, epoch: lifted.epoch, seq: lifted.seq, via: lifted.via, since: new Date(lifted.sinceMs).toISOString() },
      formatOf(flags),
    );
    notice(
      dir
        ? "the node is not running: it accepts the origin's entries again when it starts"
        : "the origin's entries are accepted again; entries of the other branch of its log halt it again",
    );
  });
}
