/**
 * A bare grpc-js server that answers one unary method with its request, and nothing else: no
 * DTX code, no auth, no database. Run as a child process by grpc-floor.ts; prints its port.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ECHO_SERVICE } from './echo-service.js';

const server = new Server({ 'grpc.enable_channelz': 0 });
server.addService(ECHO_SERVICE, { echo: (call: { request: Buffer }, callback: (err: null, reply: Buffer) => void) => callback(null, call.request) });
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    process.stderr.write(`echo server: ${err.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`${port}\n`);
});
process.once('SIGTERM', () => {
  server.forceShutdown();
  process.exit(0);
});
