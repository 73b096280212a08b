/**
 * A gRPC server with one DTX service and nothing else, on its own port: for tools built on the
 * node's parts (the `dtx demo` tampering relay) that must speak the protocol without being a node.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { DtxError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { KeyObject } from 'node:crypto';
import { Authenticator } from './auth.js';
import { registerService, type ServiceHandlers, type ServicePolicy } from './register.js';

export interface StandaloneServer {
  address: string;
  stop(): void;
}

export async function startStandaloneServer<S extends GenServiceMethods>(
  service: GenService<S>,
  handlers: ServiceHandlers<S>,
  policy: ServicePolicy<S>,
  identity: { publicKey: KeyObject; nodeId: string },
  logger: Logger,
): Promise<StandaloneServer> {
  const server = new Server({ 'grpc.enable_channelz': 0 });
  registerService(server, service, handlers, policy, { authenticator: new Authenticator(identity.publicKey, identity.nodeId), logger });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(new DtxError('UNAVAILABLE', `cannot listen: ${err.message}`)) : resolve(bound),
    ),
  );
  return { address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}
