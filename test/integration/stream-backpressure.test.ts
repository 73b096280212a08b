/**
 * Server-streaming backpressure (server/rpc/register.ts) over real gRPC on loopback: when the
 * network stops taking data (a fault proxy holding everything back), the server's handler is held
 * at its next send after a few messages, so a slow link lags in the database, not in the server's
 * memory. (grpc-js alone accepts 16 messages before write() reports a full buffer.)
 */
import { Client, credentials, Server, ServerCredentials, type ClientReadableStream } from '@grpc/grpc-js';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Authenticator } from '../../server/rpc/auth.js';
import { SyncService, syncPolicy } from '../../server/rpc/handlers/sync-handlers.js';
import { registerService } from '../../server/rpc/register.js';
import { generateSigningKey } from '../../shared/crypto.js';
import { silentLogger } from '../../shared/logger.js';
import { FaultProxy } from '../_util/fault-proxy.js';

const MESSAGE_BYTES = 2 * 1024 * 1024;
const MAX_SENDS = 40;
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A Subscribe handler that sends large messages as fast as `send` lets it, counting them. */
async function startServer(): Promise<{ address: string; sent: () => number; finished: Promise<void> }> {
  let sent = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  // Any bytes will do: the client never decodes them.
  const payload = new Uint8Array(MESSAGE_BYTES);
  const server = new Server();
  const key = generateSigningKey();
  registerService(
    server,
    SyncService,
    {
      subscribe: async (_request, context, send) => {
        try {
          for (let i = 0; i < MAX_SENDS && !context.signal.aborted; i++) {
            await send(payload);
            sent++;
          }
        } finally {
          finish();
        }
      },
    },
    { ...syncPolicy, subscribe: 'public' },
    { authenticator: new Authenticator(key.publicKeyObject, 'test'), logger: silentLogger() },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  cleanups.push(() => {
    server.forceShutdown();
  });
  return { address: `127.0.0.1:${port}`, sent: () => sent, finished };
}

describe('server-streaming backpressure', () => {
  it('holds the handler after a few messages while the link takes nothing', async () => {
    const server = await startServer();
    const proxy = await FaultProxy.start({ target: server.address });
    cleanups.push(() => proxy.close());
    const client = new Client(proxy.address, credentials.createInsecure());
    cleanups.push(() => client.close());
    const call: ClientReadableStream<Buffer> = client.makeServerStreamRequest(
      `/${SyncService.typeName}/Subscribe`,
      () => Buffer.alloc(0),
      (bytes: Buffer) => bytes,
      {},
    );
    cleanups.push(() => call.cancel());
    call.on('error', () => undefined);
    let received = 0;
    call.on('data', () => received++);
    const started = Date.now();
    while (received === 0 && Date.now() - started < 10_000) await sleep(5);
    expect(received).toBeGreaterThan(0);
    // Now the link holds every byte back for 4 s: the proxy takes about 1 MiB, then the socket
    // buffers fill.
    proxy.setDelay(4_000);
    await sleep(1_000);
    const atStall = server.sent();
    await sleep(1_500);
    // Nothing more gets through, and the handler stays where backpressure stopped it.
    expect(server.sent()).toBe(atStall);
    // 2 MiB messages: besides those delivered, one taken by HTTP/2 and what the socket buffers
    // hold; never grpc-js' 16 more.
    expect(atStall - received).toBeLessThanOrEqual(6);

    // Once the link moves again, the handler sends everything and the client gets it all.
    proxy.setDelay(0);
    await Promise.race([server.finished, sleep(30_000)]);
    expect(server.sent()).toBe(MAX_SENDS);
    const deadline = Date.now() + 30_000;
    while (received < MAX_SENDS && Date.now() < deadline) await sleep(20);
    expect(received).toBe(MAX_SENDS);
  });
});
