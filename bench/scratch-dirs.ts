/**
 * Scratch directories under bench/.cache are named <prefix>-<pid> while a run uses them. A run
 * that was killed leaves its directory behind; the next run removes those whose pid is gone.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { alive } from '../server/config/runtime-file.js';


export function scratchDir(parent: string, prefix: string): string {
  return join(parent, `${prefix}-${process.pid}`);
}

export function removeStaleScratch(parent: string, prefix: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(`${prefix}-`)) continue;
    const pid = Number(name.slice(prefix.length + 1));
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid)) rmSync(join(parent, name), { recursive: true, force: true });
  }
}
