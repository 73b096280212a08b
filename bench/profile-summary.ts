/**
 * Summarises V8 CPU profiles (from `node --cpu-prof`, or `npm run bench -- --profile`): the
 * functions and the packages or project files with the most self time.
 * Usage: node dist/bench/profile-summary.js FILE.cpuprofile... [--top=N]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from './paths.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  totalMs: number;
  functions: [string, number][];
  places: [string, number][];
}

/** "pkg" for node_modules/pkg/..., "project:path" for project files, "node:internal" for built-ins. */
function placeOf(url: string): string {
  if (url === '') return '(vm)';
  if (url.startsWith('node:')) return 'node:internal';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (match) return match[1]!;
  return path.startsWith(PROJECT_ROOT) ? path.slice(PROJECT_ROOT.length + 1) : path;
}

function top(map: Map<string, number>, n: number): [string, number][] {
  return [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
}

export function summarise(profile: CpuProfile, n = 20): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const functions = new Map<string, number>();
  const places = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node) return;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const { functionName, url, lineNumber } = node.callFrame;
    const place = placeOf(url);
    const fn = `${functionName || '(anonymous)'} ${place}${url ? `:${lineNumber + 1}` : ''}`;
    functions.set(fn, (functions.get(fn) ?? 0) + ms);
    places.set(place, (places.get(place) ?? 0) + ms);
  });
  return { totalMs: (profile.endTime - profile.startTime) / 1000, functions: top(functions, n), places: top(places, n) };
}

export function renderSummary(name: string, summary: ProfileSummary): string {
  const pct = (ms: number) => `${((100 * ms) / summary.totalMs).toFixed(1).padStart(5)}%`;
  const lines = [`${name}: ${summary.totalMs.toFixed(0)} ms profiled`, '  self time by function:'];
  for (const [fn, ms] of summary.functions) lines.push(`    ${ms.toFixed(0).padStart(7)} ms ${pct(ms)}  ${fn}`);
  lines.push('  self time by package or file:');
  for (const [place, ms] of summary.places) lines.push(`    ${ms.toFixed(0).padStart(7)} ms ${pct(ms)}  ${place}`);
  return lines.join('\n');
}

function main(argv: readonly string[]): void {
  const topArg = argv.find((a) => a.startsWith('--top='));
  const n = topArg ? Number(topArg.slice('--top='.length)) : 20;
  const files = argv.filter((a) => !a.startsWith('--'));
  if (files.length === 0) throw new Error('usage: node dist/bench/profile-summary.js FILE.cpuprofile... [--top=N]');
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    process.stdout.write(`${renderSummary(file, summarise(profile, n))}\n\n`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
