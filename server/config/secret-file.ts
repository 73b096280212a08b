/**
 * Files that hold secrets (the node key, tokens) are created with mode 0600 and refused when
 * anyone but the owner can read them, as ssh does with private keys.
 */
import { closeSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { DtxError } from '../../shared/errors.js';

export function writeSecretFile(path: string, content: string): void {
  // 'wx' fails if the file exists: a secret is never silently replaced.
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function readSecretFile(path: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err) {
    throw new DtxError('DATA_DIR_MISSING', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new DtxError('CONFIG_INVALID', `${path} is readable by others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`);
  }
  return readFileSync(path, 'utf8');
}
