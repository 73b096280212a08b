/**
 * The node's plain HTTP surface: liveness and public node info for load balancers and
 * monitoring. Blocklist exports for gateways will be served here too.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DtxError } from '../../shared/errors.js';
import { formatHostPort, parseHostPort } from '../../shared/net-address.js';
import type { NodeContext } from '../context.js';
import { nodeInfo } from '../rpc/handlers/node-handlers.js';

export interface RunningHttp {
  server: Server;
  address: string;
}

function json(res: import('node:http').ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(`${text}\n`);
}

export async function startHttpServer(node: NodeContext): Promise<RunningHttp> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (path === '/v1/info') return json(res, 200, nodeInfo(node));
    return json(res, 404, { error: `no such path: ${path}`, paths: ['/healthz', '/v1/info'] });
  });
  const listen = parseHostPort(node.config.http, 'http');
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new DtxError('UNAVAILABLE', `cannot listen for HTTP on ${node.config.http}: ${err.message}`, { cause: err })));
    server.listen(listen.port, listen.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return { server, address: formatHostPort({ host: listen.host, port }) };
}

export async function stopHttpServer(running: RunningHttp): Promise<void> {
  running.server.closeAllConnections();
  await new Promise<void>((resolve) => running.server.close(() => resolve()));
}
