/** Command-line flags of `npm run bench`: --quick, --only=<group>, --size=N. */

export const GROUPS = ['publish', 'lookup', 'startup', 'storage', 'sync'] as const;
export type Group = (typeof GROUPS)[number];

export interface BenchOptions {
  quick: boolean;
  groups: ReadonlySet<Group>;
  /** Stored indicators for the lookup, startup and storage groups, and entries the sync group's catch-up copies. */
  size: number;
  /** Indicators published over gRPC by the publish group. */
  publishCount: number;
  /** Run node processes with --cpu-prof and summarise the profiles. */
  profile: boolean;
  /** The sync group's node processes serve TLS (tls-files.ts). */
  tls: boolean;
}

export const FULL_SIZE = 1_000_000;
export const QUICK_SIZE = 100_000;
export const MAX_SIZE = 10_000_000;

const USAGE = 'usage: node dist/bench/run.js [--quick] [--only=publish|lookup|startup|storage|sync[,...]] [--size=N] [--profile] [--tls]';

function fail(message: string): never {
  throw new Error(`${message}\n${USAGE}`);
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  let quick = false;
  let only: Group[] | undefined;
  let size: number | undefined;
  let profile = false;
  let tls = false;
  for (const arg of argv) {
    if (arg === '--quick') {
      quick = true;
    } else if (arg.startsWith('--only=')) {
      only = arg
        .slice('--only='.length)
        .split(',')
        .map((name) => {
          if (!(GROUPS as readonly string[]).includes(name)) fail(`unknown group "${name}"`);
          return name as Group;
        });
    } else if (arg.startsWith('--size=')) {
      const text = arg.slice('--size='.length).replace(/[_,]/g, '');
      size = Number(text);
      if (!/^\d+$/.test(text) || size < 1_000 || size > MAX_SIZE) fail(`--size must be an integer from 1000 to ${MAX_SIZE}`);
    } else if (arg === '--profile') {
      profile = true;
    } else if (arg === '--tls') {
      tls = true;
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else {
      fail(`unknown argument "${arg}"`);
    }
  }
  return {
    quick,
    groups: new Set(only ?? GROUPS),
    size: size ?? (quick ? QUICK_SIZE : FULL_SIZE),
    publishCount: quick ? 30_000 : 200_000,
    profile,
    tls,
  };
}
