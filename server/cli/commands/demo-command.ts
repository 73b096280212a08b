/** dtx demo: the federation end to end on loopback, in about a minute, leaving nothing behind. */
import type { Command } from 'commander';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('start three labs on loopback, federate them in a chain, show a campaign arriving and a tampering relay caught')
    .option('--keep', 'keep the temporary data directories')
    .action(async (flags: { keep?: boolean }) => {
      // Loaded on use: the demo starts whole nodes, which other commands never need.
      const { runDemo } = await import('../../demo/demo.js');
      await runDemo({ keep: flags.keep ?? false, say: (line) => process.stdout.write(`${line}\n`) });
    });
}
