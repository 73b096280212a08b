/**
 * Where the bench finds the project and keeps its files. Compiled to dist/bench/, so the
 * project root is two levels up from this module either way.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export const PROJECT_ROOT = resolve(here, '..', '..');

/** The dtx command as shipped (the bundle `npm start` runs), which the node subprocesses run. */
export const CLI_PATH = resolve(PROJECT_ROOT, 'dist', 'bundle', 'main.js');

/** Built datasets and scratch data directories; not for version control. */
export const CACHE_DIR = resolve(PROJECT_ROOT, 'bench', '.cache');

export const RESULTS_DIR = resolve(PROJECT_ROOT, 'bench', 'results');
export const RESULTS_FILE = resolve(RESULTS_DIR, 'latest.json');
