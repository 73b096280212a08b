/**
 * How a client command finds its node: --node/--token flags, else --data DIR (address from
 * the running node's node.json, admin token from the directory), else DTX_NODE/DTX_TOKEN,
 * else DTX_DATA, else ./data when it holds a node.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DtxClient } from '../../client/index.js';
import { readEnv } from '../../shared/env.js';
import { DtxError } from '../../shared/errors.js';
import { isInitialized, readAdminToken } from '../config/data-dir.js';
import { readRuntime } from '../config/runtime-file.js';

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
}

export function resolveTarget(flags: ConnectFlags): Target {
  const env = readEnv();
  const fromDir = (dir: string): Target => {
    if (!isInitialized(dir)) throw new DtxError('DATA_DIR_MISSING', `${dir} is not a DTX data directory`);
    const running = readRuntime(dir);
    if (!running && !flags.node) throw new DtxError('UNAVAILABLE', `the node in ${dir} is not running; start it with: dtx start --data ${dir}`);
    return { address: flags.node ?? running!.grpc, token: flags.token ?? readAdminToken(dir) };
  };
  if (flags.data) return fromDir(resolve(flags.data));
  const address = flags.node ?? env.node;
  if (address) return { address, token: flags.token ?? env.token };
  const dir = defaultDataDir();
  if (existsSync(dir) && isInitialized(dir)) return fromDir(dir);
  throw new DtxError('INVALID_ARGUMENT', 'which node? pass --data DIR, or --node HOST:PORT with --token, or set DTX_NODE and DTX_TOKEN');
}

export function connect(flags: ConnectFlags): DtxClient {
  const target = resolveTarget(flags);
  return new DtxClient({ address: target.address, token: target.token });
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
