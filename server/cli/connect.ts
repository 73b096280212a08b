/**
 * How a client command finds its node: --node/--token flags, else --data DIR (address from
 * the running node's node.json, admin token from the directory), else DTX_NODE/DTX_TOKEN,
 * else DTX_DATA, else ./data when it holds a node.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { resolve } from 'node:path';
import { DtxClient } from '../../client/index.js';
import { readEnv } from '../../shared/env.js';
import { DtxError } from '../../shared/errors.js';
import { isInitialized, readAdminToken } from '../config/data-dir.js';
import { readRuntime, type RuntimeInfo } from '../config/runtime-file.js';

export interface ConnectFlags {
  node?: string;
  token?: string;
  data?: string;
}

export const DEFAULT_DATA_DIR = 'data';

export function defaultDataDir(flag?: string): string {
  return resolve(flag ?? readEnv().data ?? DEFAULT_DATA_DIR);
}

export interface Target {
  address: string;
  token: string | undefined;
  /** For an https:// address: the roots to trust and the name to check (transport.ts). */
  tlsRoots?: Uint8Array;
  tlsServerName?: string;
}

/**
 * What a local command trusts in its own node's certificate: the node's roots if it has some,
 * else the system's plus the certificate itself (a self-signed one is its own root). The
 * certificate is checked for its own name, since the command dials the listen address.
 */
function ownNodeTls(tls: NonNullable<RuntimeInfo['grpcTls']>): Pick<Target, 'tlsRoots' | 'tlsServerName'> {
  const read = (file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new DtxError('UNAVAILABLE', `cannot read ${file}, which the node's TLS uses: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const roots = tls.caFile ? read(tls.caFile) : Buffer.concat([Buffer.from(`${rootCertificates.join('\n')}\n`), read(tls.certFile)]);
  return { tlsRoots: roots, tlsServerName: tls.serverName };
}

/** Roots for a node dialled at an https:// address: DTX_TLS_CA's file, else the system's. */
function rootsFromEnv(caFile: string | undefined): Uint8Array | undefined {
  if (!caFile) return undefined;
  try {
    return readFileSync(caFile);
  } catch (err) {
    throw new DtxError('INVALID_ARGUMENT', `DTX_TLS_CA: cannot read ${caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function resolveTarget(flags: ConnectFlags): Target {
  const env = readEnv();
  const fromDir = (dir: string): Target => {
    if (!isInitialized(dir)) throw new DtxError('DATA_DIR_MISSING', `${dir} is not a DTX data directory`);
    const running = readRuntime(dir);
    if (!running && !flags.node) throw new DtxError('UNAVAILABLE', `the node in ${dir} is not running; start it with: dtx start --data ${dir}`);
    const token = flags.token ?? readAdminToken(dir);
    if (flags.node) return { address: flags.node, token, tlsRoots: rootsFromEnv(env.tlsCa) };
    return { address: running!.grpc, token, ...(running!.grpcTls ? ownNodeTls(running!.grpcTls) : {}) };
  };
  if (flags.data) return fromDir(resolve(flags.data));
  const address = flags.node ?? env.node;
  if (address) return { address, token: flags.token ?? env.token, tlsRoots: rootsFromEnv(env.tlsCa) };
  const dir = defaultDataDir();
  if (existsSync(dir) && isInitialized(dir)) return fromDir(dir);
  throw new DtxError('INVALID_ARGUMENT', 'which node? pass --data DIR, or --node HOST:PORT (https://HOST:PORT for TLS) with --token, or set DTX_NODE and DTX_TOKEN');
}

export function connect(flags: ConnectFlags): DtxClient {
  const target = resolveTarget(flags);
  return new DtxClient(target);
}

/** Runs fn with a connected client and always closes it. */
export async function withClient<T>(flags: ConnectFlags, fn: (client: DtxClient) => Promise<T>): Promise<T> {
  const client = connect(flags);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}
