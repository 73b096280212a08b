/** dtx retract: permanently withdraw one of this node's indicators. */
import { Option, type Command } from 'commander';
import { parseRetractReason, RETRACT_REASON_NAMES } from '../../../shared/indicator/enums.js';
import { formatOf, withClientOptions, type ClientFlags } from '../common.js';
import { withClient } from '../connect.js';
import { printRecord } from '../output.js';

interface RetractFlags extends ClientFlags {
  reason: string;
  comment?: string;
}

export function registerWriteCommands(program: Command): void {
  withClientOptions(
    program
      .command('retract')
      .description('retract an indicator this node published (permanent; travels to every peer)')
      .argument('<id>', 'indicator id (UUID)')
      .addOption(new Option('--reason <reason>', 'why').choices([...RETRACT_REASON_NAMES]).makeOptionMandatory())
      .option('--comment <text>', 'note for analysts (no raw identifiers)'),
  ).action(async (id: string, flags: RetractFlags) => {
    const reason = parseRetractReason(flags.reason, 'reason');
    const seq = await withClient(flags, (client) => client.retract(id, reason, flags.comment ?? ''));
    printRecord({ id, retracted: true, reason: flags.reason, seq }, formatOf(flags));
  });
}
