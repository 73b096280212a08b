/**
 * The data directory: node key (0600), config.json, admin token (0600), the SQLite database,
 * and node.json while the node runs (its pid and actual listen addresses, which client commands
 * read to find it).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { issueToken } from '../../shared/auth/tokens.js';
import { generateSigningKey, signingKeyFromPem, signingKeyToPem, type SigningKey } from '../../shared/crypto.js';
import { DtxError } from '../../shared/errors.js';
import { nodeIdFromPublicKey } from '../../shared/node-id.js';
import { openDatabase } from '../db/database.js';
import { checkConfig, parseConfigFile, resolveConfig, type NodeConfig } from './config.js';
import { readSecretFile, writeSecretFile } from './secret-file.js';

export const FILES = {
  config: 'config.json',
  key: 'node.key',
  adminToken: 'admin.token',
  database: 'dtx.db',
  runtime: 'node.json',
} as const;

export function dataPath(dir: string, file: keyof typeof FILES): string {
  return join(dir, FILES[file]);
}

export function isInitialized(dir: string): boolean {
  return existsSync(dataPath(dir, 'key')) || existsSync(dataPath(dir, 'config'));
}

export interface InitOptions {
  name?: string;
  grpc?: string;
  http?: string;
}

export interface InitResult {
  nodeId: string;
  dir: string;
  config: NodeConfig;
  adminTokenPath: string;
}

export async function initDataDir(dirArg: string, options: InitOptions = {}): Promise<InitResult> {
  const dir = resolve(dirArg);
  if (isInitialized(dir)) {
    throw new DtxError('DATA_DIR_INITIALIZED', `${dir} already holds a DTX node; refusing to overwrite it (use another --data directory)`);
  }
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new DtxError('DATA_DIR_INITIALIZED', `${dir} is not empty; choose an empty or new directory for a new node`);
  }
  const settings = checkConfig({ name: options.name, grpc: options.grpc, http: options.http }, 'init');
  const config = resolveConfig(settings);
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  const key = generateSigningKey();
  const nodeId = nodeIdFromPublicKey(key.publicKey);
  writeSecretFile(dataPath(dir, 'key'), signingKeyToPem(key));
  writeFileSync(dataPath(dir, 'config'), `${JSON.stringify({ name: config.name, grpc: config.grpc, http: config.http }, null, 2)}\n`, {
    mode: 0o600,
    flag: 'wx',
  });
  const token = await issueToken(key.privateKeyObject, nodeId, { role: 'admin', subject: 'admin' });
  writeSecretFile(dataPath(dir, 'adminToken'), `${token}\n`);
  // The database holds TLP:AMBER material: owner-only, like the key (SQLite gives -wal/-shm the same mode).
  openDatabase(dataPath(dir, 'database')).close();
  chmodSync(dataPath(dir, 'database'), 0o600);
  return { nodeId, dir, config, adminTokenPath: dataPath(dir, 'adminToken') };
}

export function requireInitialized(dir: string): void {
  if (!isInitialized(dir)) {
    throw new DtxError('DATA_DIR_MISSING', `${resolve(dir)} is not a DTX data directory; create one with: dtx init --data ${dir}`);
  }
}

export function loadNodeKey(dir: string): SigningKey {
  requireInitialized(dir);
  return signingKeyFromPem(readSecretFile(dataPath(dir, 'key')));
}

export function loadConfigFile(dir: string): Partial<NodeConfig> {
  const path = dataPath(dir, 'config');
  if (!existsSync(path)) return {};
  return parseConfigFile(readFileSync(path, 'utf8'), path);
}

export function readAdminToken(dir: string): string {
  return readSecretFile(dataPath(dir, 'adminToken')).trim();
}
