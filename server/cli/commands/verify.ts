/**
 * dtx verify: re-verify every stored chain and signature. Over gRPC the client checks what the
 * node serves (trusting nothing of it); with --offline it reads a stopped node's database.
 */
import type { Command } from 'commander';
import { verifyNodeLog, type OriginAudit } from '../../../client/index.js';
import { initCrypto } from '../../../shared/crypto.js';
import { formatOf, withClientOptions, type ClientFlags } from '../common.js';
import { defaultDataDir, withClient } from '../connect.js';
import { printRows, stringify } from '../output.js';
import { Progress } from '../progress.js';

interface VerifyFlags extends ClientFlags {
  offline?: boolean;
}

export function registerVerifyCommand(program: Command): void {
  withClientOptions(
    program
      .command('verify')
      .description('re-verify every stored log: signatures, hash chain, heads; exits 1 if anything is wrong')
      .option('--offline', 'read the database of --data DIR directly (node may be stopped)'),
  ).action(async (flags: VerifyFlags) => {
    await initCrypto();
    const reports: OriginAudit[] = flags.offline
      ? await (await import('../../log/audit-database.js')).auditDatabase(defaultDataDir(flags.data))
      : await withClient(flags, async (client) => {
          let progress: Progress | undefined;
          const reports = await verifyNodeLog(client, (done, total) => {
            progress ??= new Progress('verified', total);
            progress.update(done);
          });
          progress?.done();
          return reports;
        });
    const format = formatOf(flags);
    const problems = reports.reduce((n, r) => n + r.problems.length, 0);
    if (format === 'table') {
      printRows(
        reports.map((r) => ({ origin: r.origin, entries: r.entries, head: r.head?.seq ?? 0, status: r.problems.length === 0 ? 'ok' : `${r.problems.length} problem(s)` })),
        format,
        ['origin', 'entries', 'head', 'status'],
      );
      for (const r of reports) for (const p of r.problems) process.stdout.write(`  ${r.origin.slice(0, 12)}… seq ${p.seq ?? '?'}: ${p.code}: ${p.message}\n`);
      process.stdout.write(problems === 0 ? `verified ${reports.length} log(s): all signatures and chains are intact\n` : `FAILED: ${problems} problem(s) found\n`);
    } else {
      process.stdout.write(`${stringify({ ok: problems === 0, logs: reports }, format === 'json' ? 2 : undefined)}\n`);
    }
    if (problems > 0) process.exitCode = 1;
  });
}
