/**
 * dtx retract: permanently withdraw one of this node's indicators. dtx sighting: report that
 * this lab saw an indicator of any origin too, or that it is a false positive here.
 */
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Option, type Command } from 'commander';
import { parseRetractReason, parseSightingType, RETRACT_REASON_NAMES, SIGHTING_TYPE_NAMES } from '../../../shared/indicator/enums.js';
import { readTime } from '../../../shared/indicator/json-fields.js';
import { publicKeyFromNodeId } from '../../../shared/node-id.js';
import { uuidFromString } from '../../../shared/uuid.js';
import { formatOf, withClientOptions, type ClientFlags } from '../common.js';
import { withClient } from '../connect.js';
import { printRecord } from '../output.js';

interface RetractFlags extends ClientFlags {
  reason: string;
  comment?: string;
}

interface SightingFlags extends ClientFlags {
  type: string;
  origin?: string;
  observedAt?: string;
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

  withClientOptions(
    program
      .command('sighting')
      .description("report an indicator of any origin seen in this lab's traffic too, or a false positive here (travels to every peer)")
      .argument('<id>', 'indicator id (UUID)')
      .addOption(new Option('--type <type>', 'what this lab saw').choices([...SIGHTING_TYPE_NAMES]).default('seen'))
      .option('--origin <node-id>', "the indicator's origin, when more than one lab published that id")
      .option('--observed-at <time>', 'ISO 8601 time this lab saw it (default now)')
      .option('--comment <text>', 'note for analysts (no raw identifiers)'),
  ).action(async (id: string, flags: SightingFlags) => {
    // Checked here too so an error names the flag, not the batch item the node sees.
    uuidFromString(id, 'id');
    if (flags.origin !== undefined) publicKeyFromNodeId(flags.origin, 'origin');
    const type = parseSightingType(flags.type, 'type');
    const observedAt = flags.observedAt === undefined ? undefined : timestampFromMs(readTime(flags.observedAt, 'observed-at'));
    const [seq] = await withClient(flags, (client) => client.reportSightings([{ id, origin: flags.origin ?? '', type, observedAt, comment: flags.comment ?? '' }]));
    printRecord({ id, sighting: flags.type, seq }, formatOf(flags));
  });
}
