/** dtx init and dtx start: create a node's data directory, run a node in the foreground. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { cryptoBackend, initCrypto } from '../../../shared/crypto.js';
import { createLogger } from '../../../shared/logger.js';
import { dataPath, initDataDir, isInitialized, loadNodeKey } from '../../config/data-dir.js';
import { Signer } from '../../log/signer.js';
import { defaultDataDir } from '../connect.js';
import { notice, stringify } from '../output.js';

interface InitFlags {
  data?: string;
  name?: string;
  grpc?: string;
  http?: string;
  json?: boolean;
}

export function registerNodeCommands(program: Command): void {
  program
    .command('init')
    .description('create a new node: Ed25519 key (mode 0600), config.json, database and an admin token')
    .option('--data <dir>', 'data directory to create (default: DTX_DATA or ./data)')
    .option('--name <lab>', 'name of your lab, shown to peers')
    .option('--grpc <host:port>', 'gRPC listen address (default 127.0.0.1:7700)')
    .option('--http <host:port>', 'HTTP listen address (default 127.0.0.1:7701)')
    .option('--json', 'print the result as JSON')
    .action(async (flags: InitFlags) => {
      await initCrypto();
      const result = await initDataDir(defaultDataDir(flags.data), flags);
      if (flags.json) {
        process.stdout.write(`${stringify({ nodeId: result.nodeId, grpc: result.config.grpc, http: result.config.http, data: result.dir })}\n`);
        return;
      }
      process.stdout.write(
        [
          `Initialized DTX node ${result.nodeId}`,
          `  data         ${result.dir}`,
          `  gRPC         ${result.config.grpc}`,
          `  HTTP         ${result.config.http}`,
          `  admin token  ${result.adminTokenPath} (mode 0600; keep it secret)`,
          `Start it with: dtx start --data ${result.dir}`,
          '',
        ].join('\n'),
      );
    });

  program
    .command('start')
    .description('run the node in the foreground until Ctrl-C or SIGTERM (SIGHUP: reload renewed TLS files, certificate and CA)')
    .option('--data <dir>', 'data directory (default: DTX_DATA or ./data)')
    .option('--init', 'initialize the data directory first if it holds no node')
    .option('--name <lab>', 'lab name (overrides config.json)')
    .option('--grpc <host:port>', 'gRPC listen address (overrides config.json)')
    .option('--http <host:port>', 'HTTP listen address (overrides config.json)')
    .option('--tls-cert <file>', 'certificate chain (PEM) of the gRPC port: it then speaks TLS only (with --tls-key)')
    .option('--tls-key <file>', 'private key (PEM, mode 0600) of that certificate')
    .option('--tls-ca <file>', 'CA certificates (PEM) to trust for https:// peers, instead of the system roots')
    .action(async (flags: InitFlags & { init?: boolean; tlsCert?: string; tlsKey?: string; tlsCa?: string }) => {
      await initCrypto();
      const dir = defaultDataDir(flags.data);
      if (flags.init && !isInitialized(dir)) {
        const created = await initDataDir(dir, flags);
        notice(`Created a new node in ${created.dir}`);
      }
      const logger = createLogger();
      // TLS paths from flags are the shell's, relative to the working directory.
      const path = (file?: string) => file && resolve(file);
      const overrides = { name: flags.name, grpc: flags.grpc, http: flags.http, tlsCert: path(flags.tlsCert), tlsKey: path(flags.tlsKey), tlsCa: path(flags.tlsCa) };
      // The signer worker first: it loads on the second core while this thread loads the
      // server's modules (start to serving must stay under a second). The node owns it from here.
      const signer = isInitialized(dir) ? Signer.start(loadNodeKey(dir)) : undefined;
      const { DtxNode } = await import('../../node.js');
      const node = await DtxNode.start(dir, { logger, overrides, signer });
      logger.info({ nodeId: node.nodeId, grpc: node.grpcAddress, http: node.httpAddress, crypto: cryptoBackend() }, 'node started');
      process.stdout.write(
        [
          `DTX node ${node.nodeId} (${node.context.config.name}) is serving`,
          `  gRPC         ${node.grpcAddress}`,
          `  HTTP         ${node.httpAddress}`,
          `  data         ${dir}`,
          `  admin token  ${dataPath(dir, 'adminToken')}`,
          `  peers        ${peerSummary(node.context.federation.roster.peers())}`,
          'Press Ctrl-C to stop.',
          '',
        ].join('\n'),
      );
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) {
            notice('dtx: stopping now');
            process.exit(130);
          }
          stopping = true;
          notice(`dtx: ${signal} received, stopping (press Ctrl-C again to force)`);
          node.stop().then(resolve, (err: unknown) => {
            logger.error({ err }, 'error while stopping');
            resolve();
          });
        };
        process.on('SIGINT', () => stop('SIGINT'));
        process.on('SIGTERM', () => stop('SIGTERM'));
        // As for web servers: SIGHUP picks up renewed TLS files now rather than within a minute.
        // What changed is logged by the reload itself (reloaded, or why not); here only what did not.
        process.on('SIGHUP', () => {
          const { certificate, ca } = node.reloadTls();
          if (certificate === undefined && ca === undefined) logger.warn('SIGHUP: no TLS files configured (tlsCert, tlsKey, tlsCa); nothing to reload');
          if (certificate === 'unchanged') logger.info('SIGHUP: the TLS certificate files are unchanged');
          if (ca === 'unchanged') logger.info('SIGHUP: the TLS CA file is unchanged');
        });
      });
      logger.flush();
      notice('dtx: stopped');
    });
}

function peerSummary(peers: readonly { subscribe: boolean }[]): string {
  if (peers.length === 0) return 'none yet (dtx peer add --id NODE_ID --url HOST:PORT)';
  const dialled = peers.filter((p) => p.subscribe).length;
  return `${peers.length} in the roster, subscribing to ${dialled} (dtx status)`;
}
