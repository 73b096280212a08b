/**
 * Collected figures: percentiles of timing samples, targets with a pass/fail verdict, the
 * printed table, and bench/results/latest.json (a flat map of metric name to value and unit,
 * plus a "_meta" key with the machine, the flags and the targets).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

export interface Target {
  /** "min": the value must be at least `value`; "max": at most. */
  kind: 'min' | 'max';
  value: number;
}

export interface Metric {
  name: string;
  value: number;
  unit: string;
  target?: Target;
  note?: string;
}

/** Nearest-rank percentile of unsorted samples (p in 0..100). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export function verdict(metric: Metric): 'PASS' | 'FAIL' | '' {
  if (!metric.target || !Number.isFinite(metric.value)) return metric.target ? 'FAIL' : '';
  const ok = metric.target.kind === 'min' ? metric.value >= metric.target.value : metric.value <= metric.target.value;
  return ok ? 'PASS' : 'FAIL';
}

export class Results {
  readonly metrics: Metric[] = [];
  readonly notes: string[] = [];

  add(metric: Metric): void {
    this.metrics.push(metric);
  }

  note(text: string): void {
    this.notes.push(text);
  }

  get failed(): Metric[] {
    return this.metrics.filter((m) => verdict(m) === 'FAIL');
  }
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function formatTarget(target: Target | undefined, unit: string): string {
  if (!target) return '';
  return `${target.kind === 'min' ? '>=' : '<='} ${formatValue(target.value)} ${unit}`;
}

export function renderTable(results: Results): string {
  const rows = results.metrics.map((m) => [m.name, formatValue(m.value), m.unit, formatTarget(m.target, m.unit), verdict(m), m.note ?? '']);
  const header = ['metric', 'value', 'unit', 'target', 'result', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 1 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function machineInfo(): Record<string, string | number> {
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpuCount: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    /** Other work on the machine skews every figure; a load above the cpu count means contention. */
    loadAvg1mAtEnd: Number((loadavg()[0] ?? 0).toFixed(2)),
  };
}

/** Written atomically (temp file, then rename). */
export function writeResults(path: string, dir: string, results: Results, meta: Record<string, unknown>): void {
  const out: Record<string, unknown> = {
    _meta: {
      ...machineInfo(),
      ...meta,
      targets: Object.fromEntries(results.metrics.filter((m) => m.target).map((m) => [m.name, { ...m.target, result: verdict(m) }])),
      notes: results.notes,
    },
  };
  for (const m of results.metrics) out[m.name] = { value: Number.isFinite(m.value) ? Number(m.value.toFixed(4)) : null, unit: m.unit };
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(out, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}
