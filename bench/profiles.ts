/**
 * --profile: every node process the bench starts runs with --cpu-prof into its own folder under
 * bench/.cache/profiles/<time>/; afterwards each folder gets a summary.txt of its hottest
 * functions and packages (one section per thread: the main thread and the signer worker).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { profileNodesInto } from './node-process.js';
import { CACHE_DIR } from './paths.js';
import { renderSummary, summarise } from './profile-summary.js';
import { progress } from './progress.js';

export function startProfiling(): string {
  const root = join(CACHE_DIR, 'profiles', new Date().toISOString().replace(/[:.]/g, '-'));
  profileNodesInto(root);
  progress(`profiling node processes into ${root}`);
  return root;
}

export function summariseProfiles(root: string): void {
  let folders: string[];
  try {
    folders = readdirSync(root).sort();
  } catch {
    return;
  }
  for (const folder of folders) {
    const dir = join(root, folder);
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
    const text = files.map((f) => renderSummary(f, summarise(JSON.parse(readFileSync(join(dir, f), 'utf8')), 25))).join('\n\n');
    writeFileSync(join(dir, 'summary.txt'), `${text}\n`);
  }
  progress(`profile summaries: ${root}/*/summary.txt`);
}
