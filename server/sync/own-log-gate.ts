/**
 * Keeps this node from signing a second, different entry for a position of its own log that
 * peers already hold. That would be a fork, and every peer would halt this node's origin for
 * good. It happens when a node is restored from an older copy of its database (a backup, a
 * snapshot) and publishes before it has heard from its peers: the peers hold what it signed
 * after the copy was taken. So the sequencer asks this gate before it signs:
 *
 * - For a short while after the node starts (OWN_LOG_WAIT_MS), new entries wait until every peer
 *   it subscribes to has told its heads, or could not be reached (one round trip when the peers
 *   are up), and while any peer's heads show this node's own log further on than this node holds
 *   it. Meanwhile that peer's stream brings those entries, the applier takes them back
 *   (applier.ts, OwnLog), and the node signs on from them.
 * - After that while, new entries are refused (UNAVAILABLE, naming the peer and both positions)
 *   for as long as a peer's heads show the own log further on.
 *
 * A peer's head of this node's own log counts only with this node's signature on its entry
 * (own-head-proof.ts; the peer link drops any other): no peer can hold this node's publishing
 * with a claim of entries it does not have.
 */
import { DtxError } from '../../shared/errors.js';
import type { ChainHead } from '../../shared/log/chain-verifier.js';
import type { Logger } from '../../shared/logger.js';
import type { AppendGate } from '../log/append-types.js';
import type { PeerHead } from './peer-link.js';

/** How long after start new entries wait for peers that have not told their heads yet. */
export const OWN_LOG_WAIT_MS = 5000;
/** While behind in that time, how often to look again. */
const RECHECK_MS = 25;

/** What the gate needs of a peer link. */
export interface HeardPeer {
  readonly peer: { nodeId: string };
  readonly heads: ReadonlyMap<string, PeerHead>;
  /** Settles once the peer told its heads, or could not be reached. */
  readonly heard: Promise<void>;
  /** Whether `heard` has settled. */
  readonly isHeard: boolean;
}

export class OwnLogGate implements AppendGate {
  /** The peer and head last logged as ahead, so that each is logged once, not per publish. */
  private reported = '';
  /** Whether the end of the wait with peers still silent was logged (once per start). */
  private reportedSilent = false;

  constructor(
    private readonly logger: Logger,
    private readonly ownId: string,
    private readonly links: () => Iterable<HeardPeer>,
    /** Until this time (clock ms), entries wait for peers not heard from yet. */
    private readonly waitUntil: () => number,
    private readonly clock: () => number = Date.now,
  ) {}

  hold(head: ChainHead | undefined): DtxError | Promise<void> | undefined {
    const unheard: HeardPeer[] = [];
    let ahead: { link: HeardPeer; theirs: PeerHead } | undefined;
    for (const link of this.links()) {
      const theirs = link.heads.get(this.ownId);
      if (theirs && isAhead(theirs, head)) ahead ??= { link, theirs };
      if (!link.isHeard) unheard.push(link);
    }
    this.report(ahead, head);
    const left = this.waitUntil() - this.clock();
    if (left <= 0 && unheard.length > 0 && !this.reportedSilent) {
      // Worth knowing if the node was restored: those peers may hold more of its log.
      this.reportedSilent = true;
      this.logger.warn({ peers: unheard.map((link) => link.peer.nodeId) }, "signing without having heard from these peers since start: if they hold more of this node's own log, they will see a fork");
    }
    if (left <= 0 || (unheard.length === 0 && !ahead)) return ahead && behind(ahead.link, ahead.theirs, head);
    return new Promise((resolve) => {
      // Behind: ask again shortly, the missing entries are on their way.
      const timer = setTimeout(resolve, ahead ? Math.min(left, RECHECK_MS) : left);
      // A node stopping meanwhile need not wait for it.
      timer.unref();
      // Asked again as soon as any one peer has been heard: it may have news of the own log.
      if (unheard.length > 0) {
        void Promise.race(unheard.map((link) => link.heard)).then(() => {
          clearTimeout(timer);
          resolve();
        });
      }
    });
  }

  private report(ahead: { link: HeardPeer; theirs: PeerHead } | undefined, head: ChainHead | undefined): void {
    const key = ahead ? `${ahead.link.peer.nodeId}:${ahead.theirs.epoch}:${ahead.theirs.seq}` : '';
    if (key === this.reported) return;
    if (ahead) {
      this.logger.warn(
        { peer: ahead.link.peer.nodeId, theirs: { epoch: ahead.theirs.epoch, seq: ahead.theirs.seq }, mine: head ? { epoch: head.epoch, seq: head.seq } : null },
        "a peer holds more of this node's own log than this node: signing nothing new until those entries are back",
      );
    } else {
      this.logger.info({ seq: head?.seq ?? 0 }, "this node holds its own log as far as its peers do: signing again");
    }
    this.reported = key;
  }
}

function behind(link: HeardPeer, theirs: PeerHead, head: ChainHead | undefined): DtxError {
  const mine = head ? `epoch ${head.epoch} seq ${head.seq}` : 'nothing of it';
  return new DtxError(
    'UNAVAILABLE',
    `peer ${link.peer.nodeId} holds this node's own log up to epoch ${theirs.epoch} seq ${theirs.seq}, and this node ${mine} ` +
      '(was its database restored from an older copy?): it is taking those entries back from its peers and signs nothing new until then, ' +
      'which would fork its log; retry shortly',
  );
}

function isAhead(theirs: { epoch: number; seq: number }, mine: ChainHead | undefined): boolean {
  if (!mine) return theirs.seq > 0;
  return theirs.epoch > mine.epoch || (theirs.epoch === mine.epoch && theirs.seq > mine.seq);
}
