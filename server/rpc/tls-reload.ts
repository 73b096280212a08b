/**
 * The gRPC port's certificate, renewed without a restart. Certificates are short-lived now
 * (ACME, cert-manager, a federation CA's own tooling) and renewed by rewriting the files in
 * place; a restart to pick them up would cut every peer's stream. The node looks at the two
 * files every minute, and at once on SIGHUP (`dtx start`): when they changed, it checks them as
 * at start (tls-files.ts: PEM, pairing, key mode) and serves the new pair to new connections;
 * open ones keep theirs. A pair that fails a check is logged, naming the problem, and the
 * node goes on serving the pair it has: a bad renewal must not take the federation down.
 *
 * grpc-js has no public call to swap a server's certificate, but its ServerCredentials class
 * passes updates to its servers through the protected updateSecureContextOptions, which its
 * own file-watching credentials use; this subclass does the same.
 */
import { X509Certificate } from 'node:crypto';
import { ServerCredentials } from '@grpc/grpc-js';
import type { SecureContextOptions } from 'node:tls';
import type { Logger } from '../../shared/logger.js';
import type { NodeConfig } from '../config/config.js';
import { FILE_CHECK_EVERY_MS, fileStamp, type ReloadOutcome } from '../config/file-stamp.js';
import { loadNodeTls, type ServerTls } from '../config/tls-files.js';

const CHECKS_A_DAY = (24 * 3600_000) / FILE_CHECK_EVERY_MS;
/** A certificate this close to its end is warned about at each check. */
const EXPIRY_WARNING_MS = 14 * 24 * 3600_000;

class ReloadableServerCredentials extends ServerCredentials {
  constructor(pair: ServerTls) {
    super({ requestCert: false }, contextOf(pair));
  }

  replace(pair: ServerTls): void {
    this.updateSecureContextOptions(contextOf(pair));
  }

  _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}

function contextOf(pair: ServerTls): SecureContextOptions {
  return { cert: [pair.certChain], key: [pair.privateKey] };
}

export type { ReloadOutcome };

export class TlsReloader {
  readonly credentials: ReloadableServerCredentials;
  private stamps: string;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private current: ServerTls,
    private readonly config: Pick<NodeConfig, 'tlsCert' | 'tlsKey'>,
    private readonly dir: string,
    private readonly logger: Logger,
  ) {
    this.credentials = new ReloadableServerCredentials(current);
    this.stamps = this.stampsNow();
    this.warnIfExpiring();
  }

  /** Checks the files every minute from now on (the timer does not keep the process alive). */
  start(): void {
    let checks = 0;
    this.timer ??= setInterval(() => {
      // Once a day, also a certificate that nobody renews is warned about again.
      if (this.check() === 'unchanged' && ++checks % CHECKS_A_DAY === 0) this.warnIfExpiring();
    }, FILE_CHECK_EVERY_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Serves the files' pair if they changed and pass the checks; says what happened. */
  check(): ReloadOutcome {
    const stamps = this.stampsNow();
    if (stamps === this.stamps) return 'unchanged';
    // Remembered before the checks: a failing pair is reported once, not every minute.
    this.stamps = stamps;
    let next: ServerTls;
    try {
      const loaded = loadNodeTls({ tlsCert: this.config.tlsCert, tlsKey: this.config.tlsKey }, this.dir).server;
      if (!loaded) throw new Error('no certificate configured');
      next = loaded;
    } catch (err) {
      this.logger.error({ cert: this.current.certFile, problem: (err as Error).message }, 'the TLS certificate files changed but cannot be used; still serving the previous certificate');
      return 'failed';
    }
    if (next.certChain.equals(this.current.certChain) && next.privateKey.equals(this.current.privateKey)) return 'unchanged';
    this.credentials.replace(next);
    this.current = next;
    const cert = new X509Certificate(next.certChain);
    this.logger.info({ cert: next.certFile, subject: next.serverName, validTo: cert.validTo }, 'TLS certificate reloaded: new connections get it');
    this.warnIfExpiring();
    return 'reloaded';
  }

  private stampsNow(): string {
    return `${fileStamp(this.current.certFile)}|${fileStamp(this.current.keyFile)}`;
  }

  private warnIfExpiring(): void {
    const cert = new X509Certificate(this.current.certChain);
    const left = Date.parse(cert.validTo) - Date.now();
    if (left < 0) this.logger.error({ cert: this.current.certFile, validTo: cert.validTo }, 'the TLS certificate has expired: peers and clients refuse it; renew it (the node picks up new files within a minute)');
    else if (left < EXPIRY_WARNING_MS) this.logger.warn({ cert: this.current.certFile, validTo: cert.validTo }, 'the TLS certificate expires within 14 days: renew it (the node picks up new files within a minute)');
  }
}
