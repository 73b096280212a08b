/**
 * A running DTX node: opens the data directory, serves gRPC and HTTP, and shuts down cleanly.
 */
import { initCrypto } from '../shared/crypto.js';
import type { Logger } from '../shared/logger.js';
import type { NodeConfig } from './config/config.js';
import { requireInitialized } from './config/data-dir.js';
import { claimRuntime, releaseRuntime, writeRuntime } from './config/runtime-file.js';
import { closeNodeContext, openNodeContext, type NodeContext } from './context.js';
import { startHttpServer, stopHttpServer, type RunningHttp } from './http/http-server.js';
import { startGrpcServer, stopGrpcServer, type RunningGrpc } from './rpc/grpc-server.js';
import type { ReloadOutcome } from './rpc/tls-reload.js';
import type { Signer } from './log/signer.js';

export interface StartOptions {
  overrides?: Partial<NodeConfig>;
  logger: Logger;
  clock?: () => number;
  /** A signer already started for this node's key; the node owns it from here on. */
  signer?: Signer;
}

export class DtxNode {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly context: NodeContext,
    private readonly grpc: RunningGrpc,
    private readonly http: RunningHttp,
  ) {}

  static async start(dir: string, options: StartOptions): Promise<DtxNode> {
    let context: NodeContext;
    let claimed = false;
    try {
      await initCrypto();
      requireInitialized(dir);
      claimRuntime(dir);
      claimed = true;
      context = await openNodeContext(dir, options);
    } catch (err) {
      if (claimed) releaseRuntime(dir);
      // A signer started for this node must not outlive a start that failed before the node
      // owned it: its worker would keep the process alive. (Closing it twice is harmless.)
      await options.signer?.close();
      throw err;
    }
    let grpc: RunningGrpc | undefined;
    try {
      grpc = await startGrpcServer(context);
      const http = await startHttpServer(context);
      // The signer worker has been loading on the other core meanwhile; a node that cannot sign
      // does not start.
      await context.sequencer.ready().catch(async (err: unknown) => {
        await stopHttpServer(http);
        throw err;
      });
      const node = new DtxNode(context, grpc, http);
      context.federation.start();
      const tls = context.tls.server;
      const grpcTls = tls && { certFile: tls.certFile, serverName: tls.serverName, caFile: context.tls.rootsFile };
      writeRuntime(dir, { pid: process.pid, nodeId: context.nodeId, grpc: grpc.address, http: http.address, startedAt: new Date().toISOString(), grpcTls });
      context.checkpointer.start();
      context.keyFilter.start();
      return node;
    } catch (err) {
      if (grpc) grpc.server.forceShutdown();
      await closeNodeContext(context);
      releaseRuntime(dir);
      throw err;
    }
  }

  get nodeId(): string {
    return this.context.nodeId;
  }

  get grpcAddress(): string {
    return this.grpc.address;
  }

  get httpAddress(): string {
    return this.http.address;
  }

  /**
   * Looks at the TLS files now (tls-reload.ts, peer-roots.ts): the gRPC port's certificate and
   * key, served to new connections if they changed and pass the checks, and the CA file for
   * https:// peers, used from each link's next connection. Undefined for what is not
   * configured. SIGHUP calls it; otherwise the node looks every minute.
   */
  reloadTls(): { certificate: ReloadOutcome | undefined; ca: ReloadOutcome | undefined } {
    return { certificate: this.grpc.tls?.check(), ca: this.context.federation.reloadRoots() };
  }

  /** Idempotent: stops serving, waits briefly for running calls, closes the database. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      // Links first: no entries arrive while the servers and the database shut down.
      await this.context.federation.stop();
      await Promise.all([stopGrpcServer(this.grpc), stopHttpServer(this.http)]);
      await closeNodeContext(this.context);
      releaseRuntime(this.context.dir);
    })();
    return this.stopping;
  }
}
