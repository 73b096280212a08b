/**
 * The node's gRPC server: DTX services, the standard health service and server reflection.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { DtxError } from '../../shared/errors.js';
import { file_dtx_v1_indicator_service } from '../../shared/gen/dtx/v1/indicator_service_pb.js';
import { file_dtx_v1_log_service } from '../../shared/gen/dtx/v1/log_service_pb.js';
import { file_dtx_v1_node_service } from '../../shared/gen/dtx/v1/node_service_pb.js';
import { file_dtx_v1_peer_service } from '../../shared/gen/dtx/v1/peer_service_pb.js';
import { file_dtx_v1_sync_service } from '../../shared/gen/dtx/v1/sync_service_pb.js';
import { readLookupRequest } from '../../shared/wire/lookup-request-reader.js';
import { readLookupStreamRequest } from '../../shared/wire/lookup-stream-wire.js';
import { readPublishRequest } from '../../shared/wire/message-readers.js';
import { formatHostPort, isLoopbackHost, parseHostPort } from '../../shared/net-address.js';
import type { NodeContext } from '../context.js';
import { OpenStreams } from './open-streams.js';
import { Authenticator } from './auth.js';
import { TlsReloader } from './tls-reload.js';
import { IndicatorService, indicatorHandlers, indicatorPolicy } from './handlers/indicator-handlers.js';
import { LogService, logHandlers, logPolicy } from './handlers/log-handlers.js';
import { NodeService, nodeHandlers, nodePolicy } from './handlers/node-handlers.js';
import { PeerService, peerHandlers, peerPolicy } from './handlers/peer-handlers.js';
import { SyncService, syncHandlers, syncPolicy } from './handlers/sync-handlers.js';
import { addReflection } from './reflection.js';
import { registerService } from './register.js';

/** Large enough for a 10,000-item publish batch with long descriptions. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface RunningGrpc {
  server: Server;
  /** HOST:PORT, or https://HOST:PORT when the port speaks TLS. */
  address: string;
  health: HealthImplementation;
  /** Lookup streams clients hold open: ended first when the server stops. */
  streams: OpenStreams;
  /** With TLS: renews the port's certificate from its files (tls-reload.ts). */
  tls: TlsReloader | undefined;
}

export async function startGrpcServer(node: NodeContext): Promise<RunningGrpc> {
  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    'grpc.keepalive_permit_without_calls': 1,
    // Channelz keeps per-call statistics and traces on the heap; nothing here reads them, and
    // they showed up as garbage-collection pauses in the latency tail.
    'grpc.enable_channelz': 0,
  });
  const roster = node.federation.roster;
  const deps = { authenticator: new Authenticator(node.key.publicKeyObject, node.nodeId, (id) => roster.isMember(id)), logger: node.logger, calls: node.calls };
  const readers = { publish: readPublishRequest, lookupIndicators: readLookupRequest, lookupStream: readLookupStreamRequest };
  const streams = new OpenStreams();
  registerService(server, IndicatorService, indicatorHandlers(node, streams), indicatorPolicy, { ...deps, readers });
  registerService(server, LogService, logHandlers(node), logPolicy, deps);
  registerService(server, NodeService, nodeHandlers(node), nodePolicy, deps);
  registerService(server, SyncService, syncHandlers(node), syncPolicy, deps);
  registerService(server, PeerService, peerHandlers(node), peerPolicy, deps);

  const health = new HealthImplementation({ '': 'SERVING' });
  for (const service of [IndicatorService, LogService, NodeService, SyncService, PeerService]) health.setStatus(service.typeName, 'SERVING');
  health.addToServer(server);
  addReflection(server, [file_dtx_v1_indicator_service, file_dtx_v1_log_service, file_dtx_v1_node_service, file_dtx_v1_sync_service, file_dtx_v1_peer_service]);

  const listen = parseHostPort(node.config.grpc, 'grpc');
  const tls = node.tls.server && new TlsReloader(node.tls.server, node.config, node.dir, node.logger);
  const port = await new Promise<number>((resolve, reject) => {
    const credentials = tls ? tls.credentials : ServerCredentials.createInsecure();
    server.bindAsync(formatHostPort(listen), credentials, (err, boundPort) => {
      if (err) reject(new DtxError('UNAVAILABLE', `cannot listen for gRPC on ${node.config.grpc}: ${err.message}`, { cause: err }));
      else resolve(boundPort);
    });
  });
  // A dialable address: with TLS, the https:// form clients and peers use.
  const address = formatHostPort({ host: listen.host, port });
  if (!tls && !isLoopbackHost(listen.host)) {
    node.logger.warn({ grpc: address }, 'the gRPC port listens beyond loopback in plain text: tokens and indicators cross the network in clear; set tlsCert and tlsKey (docs/operations.md, TLS)');
  }
  tls?.start();
  return { server, address: tls ? `https://${address}` : address, health, streams, tls };
}

/** Stops accepting calls, lets running ones finish for up to graceMs, then cuts the rest. */
export async function stopGrpcServer(running: RunningGrpc, graceMs = 5000): Promise<void> {
  running.tls?.stop();
  running.health.setStatus('', 'NOT_SERVING');
  running.streams.endAll();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      running.server.forceShutdown();
      resolve();
    }, graceMs);
    running.server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
