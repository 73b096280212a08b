/**
 * The roots this node trusts when it dials https:// peers (tlsCa), renewed without a restart.
 * A federation's CA changes over time: a new CA is added to the bundle before peers move to
 * certificates it signed, and the old one is dropped after. A restart to pick that up would cut
 * every stream, so the node looks at the file every minute and on SIGHUP, as it does for its
 * own certificate (server/rpc/tls-reload.ts). A changed file that passes the start checks is
 * used from each link's next connection on; open streams keep the connection they have, which
 * was verified when it opened. One that fails is logged, naming the problem, and the roots in
 * use stay: a bad edit must not cut the node off from its peers.
 */
import type { Logger } from '../../shared/logger.js';
import { FILE_CHECK_EVERY_MS, fileStamp, type ReloadOutcome } from '../config/file-stamp.js';
import { loadTlsRoots } from '../config/tls-files.js';

export class PeerRoots {
  private stamp: string;
  private timer: NodeJS.Timeout | undefined;

  /** `path`: the tlsCa file, absolute (as tls-files.ts resolved it at start); undefined: the system's roots. */
  constructor(
    private roots: Uint8Array | undefined,
    private readonly path: string | undefined,
    private readonly logger: Logger,
  ) {
    this.stamp = path ? fileStamp(path) : '';
  }

  /** PEM roots for https:// peers; undefined: the system's. */
  get current(): Uint8Array | undefined {
    return this.roots;
  }

  /** Looks at the file every minute from now on (the timer does not keep the process alive). */
  start(): void {
    if (!this.path) return;
    this.timer ??= setInterval(() => this.check(), FILE_CHECK_EVERY_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Uses the file's roots if it changed and passes the checks; undefined when no tlsCa is set. */
  check(): ReloadOutcome | undefined {
    if (!this.path) return undefined;
    const stamp = fileStamp(this.path);
    if (stamp === this.stamp) return 'unchanged';
    // Remembered before the checks: a failing file is reported once, not every minute.
    this.stamp = stamp;
    let roots: Buffer | undefined;
    try {
      roots = loadTlsRoots({ tlsCa: this.path }, '/').roots;
    } catch (err) {
      this.logger.error({ ca: this.path, problem: (err as Error).message }, 'the TLS CA file changed but cannot be used; peers are still checked against the previous roots');
      return 'failed';
    }
    if (roots && this.roots && Buffer.compare(roots, this.roots) === 0) return 'unchanged';
    this.roots = roots;
    this.logger.info({ ca: this.path }, 'TLS CA file reloaded: peers are checked against it from their next connection');
    return 'reloaded';
  }
}
