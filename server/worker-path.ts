/**
 * Where a worker thread's script is. Workers must be plain JavaScript: from the build (dist/)
 * the script sits next to the module that starts it; when the sources run under the test
 * runner, the built copy in dist/ is used (npm test builds first).
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DtxError } from '../shared/errors.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** `fromUrl` is the starting module's import.meta.url; `script` the worker's file name (.js). */
export function workerPath(fromUrl: string, script: string): string {
  const here = fileURLToPath(fromUrl);
  const sibling = join(dirname(here), script);
  if (!here.endsWith('.ts')) return sibling;
  const built = join(REPO_ROOT, 'dist', relative(REPO_ROOT, dirname(here)), script);
  if (!existsSync(built)) throw new DtxError('INTERNAL', `worker ${script} not built: run npm run build (looked for ${built})`);
  return built;
}
