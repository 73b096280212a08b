/**
 * The node's Prometheus metrics (GET /metrics on the HTTP port): what `dtx status` shows, in a
 * form a monitoring system can scrape and alert on (a halted origin, a peer not connected, lag
 * growing), plus the process's own (CPU, memory, event loop delay, GC).
 *
 * Every federation figure is read at scrape time from the same status `dtx status` prints
 * (sync/status.ts), so the two never disagree and no hot path pays for a counter. Each node has
 * a registry of its own: a process may run several nodes (tests do). Labels carry node ids,
 * lab names and rejection reasons, never URLs or error texts (unbounded, and URLs tell the
 * network's layout to whoever can reach the port).
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { VERSION } from '../../shared/version.js';
import type { LinkState } from '../sync/peer-link.js';
import { nodeStatus } from '../sync/status.js';
import type { NodeContext } from '../context.js';

/** Every state a peer can be in, so that `dtx_peer_state{state="connected"} == 0` can alert. */
const PEER_STATES: readonly LinkState[] = ['connecting', 'connected', 'reconnecting', 'halted', 'idle'];

export interface NodeMetrics {
  readonly contentType: string;
  /** The exposition text, read from the node's state now. */
  render(): Promise<string>;
}

export function createNodeMetrics(node: NodeContext): NodeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const gauge = (name: string, help: string, labelNames: readonly string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });
  const counter = (name: string, help: string, labelNames: readonly string[]) => new Counter({ name, help, labelNames, registers: [registry] });

  const info = gauge('dtx_node_info', 'This node: its id, lab name and DTX version (always 1).', ['node_id', 'name', 'version']);
  const headSeq = gauge('dtx_origin_head_seq', 'Seq of the last entry this node holds of each origin (its own log included).', ['origin']);
  const headEpoch = gauge('dtx_origin_head_epoch', 'Epoch of that entry.', ['origin']);
  const halted = gauge('dtx_origin_halted', 'Origins halted on this node for a fork (1 each); lift with dtx peer lift-halt.', ['origin']);
  const haltedCount = gauge('dtx_origins_halted', 'How many origins are halted on this node.');
  const quarantined = gauge('dtx_quarantined_entries', 'Received entries kept in quarantine, over all peers.');
  const state = gauge('dtx_peer_state', "Each peer's link state: 1 for the state it is in, 0 for the others.", ['peer', 'name', 'state']);
  const lagEntries = gauge('dtx_peer_lag_entries', 'Entries a peer holds of an origin that this node does not yet.', ['peer', 'origin']);
  const lagSeconds = gauge('dtx_peer_lag_seconds', "Age gap between the peer's head of an origin and this node's.", ['peer', 'origin']);
  const applied = counter('dtx_peer_entries_applied_total', 'Entries received from a peer and stored (since the link started).', ['peer']);
  const duplicates = counter('dtx_peer_entries_duplicate_total', 'Entries received from a peer that this node already held.', ['peer']);
  const rejected = counter('dtx_peer_entries_rejected_total', 'Entries received from a peer and refused, by reason (quarantined).', ['peer', 'reason']);
  const recentKeys = gauge(
    'dtx_lookup_recent_keys',
    'Lookup keys waiting to be merged into the big lookup table; every reading thread holds them in memory, and a merge starts at 524,288.',
  );
  const merging = gauge('dtx_lookup_merge_running', '1 while a merge of recent lookup keys is under way.');
  const calls = counter('dtx_rpc_calls_total', 'gRPC calls answered, by method and outcome (a DTX error code, OK, or CANCELLED); a stream counts once, when it ends.', ['method', 'code']);

  const refresh = () => {
    const status = nodeStatus(node);
    // Reset first: a peer removed or a halt lifted must drop out of the exposition, not linger.
    for (const metric of [info, headSeq, headEpoch, halted, state, lagEntries, lagSeconds, applied, duplicates, rejected, calls]) metric.reset();
    info.set({ node_id: status.nodeId, name: node.config.name, version: VERSION }, 1);
    for (const h of status.heads) {
      headSeq.set({ origin: h.origin }, h.seq);
      headEpoch.set({ origin: h.origin }, h.epoch);
    }
    for (const h of status.halted) halted.set({ origin: h.originId }, 1);
    haltedCount.set(status.halted.length);
    quarantined.set(status.quarantined);
    recentKeys.set(node.indicatorStore.lookupKeys.recentRows);
    merging.set(node.indicatorStore.lookupKeys.merging === undefined ? 0 : 1);
    for (const p of status.peers) {
      for (const s of PEER_STATES) state.set({ peer: p.id, name: p.name, state: s }, p.state === s ? 1 : 0);
      for (const [origin, lag] of Object.entries(p.lag)) {
        lagEntries.set({ peer: p.id, origin }, lag.entries);
        lagSeconds.set({ peer: p.id, origin }, lag.seconds);
      }
      // The link's counters are absolute; a counter reset (a new link) is what rate() expects.
      applied.inc({ peer: p.id }, p.applied);
      duplicates.inc({ peer: p.id }, p.duplicates);
      for (const [reason, count] of Object.entries(p.rejected)) rejected.inc({ peer: p.id, reason }, count);
    }
    for (const c of node.calls.entries()) calls.inc({ method: c.method, code: c.code }, c.count);
  };

  return {
    contentType: registry.contentType,
    render: async () => {
      refresh();
      return registry.metrics();
    },
  };
}
