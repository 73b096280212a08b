/**
 * Node configuration. Precedence: command-line flags, then DTX_* environment variables, then
 * config.json in the data directory, then these defaults; a node runs with no config at all.
 */
import { availableParallelism } from 'node:os';
import { DtxError } from '../../shared/errors.js';
import type { Durability } from '../db/database.js';
import { parseHostPort } from '../../shared/net-address.js';

export interface NodeConfig {
  /** Human-readable lab name, shown to peers and in status. */
  name: string;
  /** gRPC listen address. Loopback by default: exposing a node is a deliberate act. */
  grpc: string;
  /** HTTP listen address (health, node info; exports later). */
  http: string;
  /** "full" fsyncs every commit (survives power loss); "normal" survives process crashes only. */
  durability: Durability;
  /** Most indicators accepted in one publish call. */
  maxBatch: number;
  /** SQLite page cache, MiB. */
  cacheMiB: number;
  /**
   * "chain" verifies one signature per origin run in each received batch (the hash links
   * authenticate the rest); "every" verifies each received entry's signature.
   */
  syncVerify: 'chain' | 'every';
  /** Idle subscription streams send heads this often; a subscriber gives up after 3 missed. */
  syncHeartbeatMs: number;
  /**
   * Threads that answer large batch lookups beside the main thread, each with a read-only
   * connection and a page cache of a quarter of cacheMiB; 0 answers them on the main thread.
   */
  lookupReaders: number;
  /**
   * The certificate chain and private key (PEM files) of the gRPC port: set both and it speaks
   * TLS only. Relative paths are from the data directory.
   */
  tlsCert?: string;
  tlsKey?: string;
  /** PEM certificates trusted when dialling https:// peers, instead of the system's roots. */
  tlsCa?: string;
}

export const DEFAULT_CONFIG: Readonly<NodeConfig> = {
  name: 'dtx-node',
  grpc: '127.0.0.1:7700',
  http: '127.0.0.1:7701',
  durability: 'full',
  maxBatch: 10_000,
  cacheMiB: 128,
  syncVerify: 'chain',
  syncHeartbeatMs: 5000,
  // One per core, up to four: a batch is cut into parts for all of them at once.
  lookupReaders: Math.min(availableParallelism(), 4),
};

type Checker = (value: unknown, field: string) => unknown;

const str: Checker = (v, field) => {
  if (typeof v !== 'string' || v.length === 0 || v.length > 128) throw new DtxError('CONFIG_INVALID', `${field}: expected a non-empty string`);
  return v;
};
const address: Checker = (v, field) => {
  parseHostPort(str(v, field) as string, field);
  return v;
};
const intRange =
  (min: number, max: number): Checker =>
  (v, field) => {
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      throw new DtxError('CONFIG_INVALID', `${field}: expected an integer from ${min} to ${max}`);
    }
    return n;
  };
const durability: Checker = (v, field) => {
  if (v !== 'full' && v !== 'normal') throw new DtxError('CONFIG_INVALID', `${field}: expected "full" or "normal"`);
  return v;
};

const syncVerify: Checker = (v, field) => {
  if (v !== 'chain' && v !== 'every') throw new DtxError('CONFIG_INVALID', `${field}: expected "chain" or "every"`);
  return v;
};

const path: Checker = (v, field) => {
  if (typeof v !== 'string' || v.length === 0 || v.length > 4096) throw new DtxError('CONFIG_INVALID', `${field}: expected a file path`);
  return v;
};

const CHECKS: Record<keyof NodeConfig, Checker> = {
  name: str,
  grpc: address,
  http: address,
  durability,
  maxBatch: intRange(1, 100_000),
  cacheMiB: intRange(2, 65_536),
  syncVerify,
  syncHeartbeatMs: intRange(50, 600_000),
  lookupReaders: intRange(0, 64),
  tlsCert: path,
  tlsKey: path,
  tlsCa: path,
};

/** Checks a partial config (from a file, env or flags); unknown keys are errors, not ignored. */
export function checkConfig(input: Record<string, unknown>, source: string): Partial<NodeConfig> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    const check = CHECKS[key as keyof NodeConfig];
    if (!check) throw new DtxError('CONFIG_INVALID', `${source}: unknown setting "${key}" (known: ${Object.keys(CHECKS).join(', ')})`);
    out[key] = check(value, `${source}: ${key}`);
  }
  return out as Partial<NodeConfig>;
}

export function parseConfigFile(text: string, path: string): Partial<NodeConfig> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new DtxError('CONFIG_INVALID', `${path}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DtxError('CONFIG_INVALID', `${path}: expected a JSON object`);
  }
  return checkConfig(parsed as Record<string, unknown>, path);
}

export function resolveConfig(...layers: Partial<NodeConfig>[]): NodeConfig {
  // Later layers win: call as resolveConfig(file, env, flags).
  return Object.assign({}, DEFAULT_CONFIG, ...layers) as NodeConfig;
}
