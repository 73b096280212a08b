/**
 * The node's plain HTTP surface: liveness, public node info and Prometheus metrics for load
 * balancers and monitoring. Blocklist exports for gateways will be served here too.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DtxError } from '../../shared/errors.js';
import { formatHostPort, parseHostPort } from '../../shared/net-address.js';
import type { NodeContext } from '../context.js';
import { nodeInfo } from '../rpc/handlers/node-handlers.js';
import type { NodeMetrics } from './metrics.js';

export interface RunningHttp {
  server: Server;
  address: string;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(`${text}\n`);
}

const PATHS = ['/healthz', '/v1/info', '/metrics'];

export async function startHttpServer(node: NodeContext): Promise<RunningHttp> {
  // Loaded at the first scrape, not at start: start to serving stays short, and a node nobody
  // monitors (every test node) runs no metric collectors.
  let metrics: Promise<NodeMetrics> | undefined;
  const serveMetrics = async (res: ServerResponse) => {
    try {
      metrics ??= import('./metrics.js').then((m) => m.createNodeMetrics(node));
      const m = await metrics;
      const text = await m.render();
      res.writeHead(200, { 'content-type': m.contentType, 'cache-control': 'no-store' });
      res.end(text);
    } catch (err) {
      node.logger.error({ err }, 'cannot render /metrics');
      json(res, 500, { error: `cannot render metrics: ${(err as Error).message}` });
    }
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (path === '/v1/info') return json(res, 200, nodeInfo(node));
    if (path === '/metrics') return void serveMetrics(res);
    return json(res, 404, { error: `no such path: ${path}`, paths: PATHS });
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
