/**
 * dtx publish: one indicator from flags, or many from JSON Lines (--file F, "-" for stdin).
 * A file is parsed and validated whole before anything is sent, so an error on line 90,000
 * does not leave the first 89,999 published; then it goes out in batches.
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { initCrypto } from '../../../shared/crypto.js';
import { DtxError } from '../../../shared/errors.js';
import type { IndicatorInput } from '../../../shared/gen/dtx/v1/indicator_pb.js';
import type { PublishedItem } from '../../../shared/gen/dtx/v1/indicator_service_pb.js';
import { KIND_NAMES } from '../../../shared/indicator/kinds.js';
import { parseIndicatorJson } from '../../../shared/indicator/input.js';
import { validateIndicatorInput } from '../../../shared/indicator/validate.js';
import { formatOf, wholeNumberFlag, withClientOptions, type ClientFlags } from '../common.js';
import { withClient } from '../connect.js';
import { printRows } from '../output.js';
import { Progress } from '../progress.js';

interface PublishFlags extends ClientFlags {
  file?: string;
  batchSize: string;
  id?: string;
  kind?: string;
  value?: string;
  tlp?: string;
  confidence?: string;
  action?: string;
  validFor?: string;
  validFrom?: string;
  validUntil?: string;
  tag?: string[];
  campaign?: string;
  technique?: string[];
  description?: string;
  normalizer?: string;
  keyEpoch?: string;
  maxDistance?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Publish calls in flight when sending a file. */
const IN_FLIGHT = 4;

function fromFlags(flags: PublishFlags, now: number): IndicatorInput {
  if (!flags.kind || flags.value === undefined) {
    throw new DtxError('INVALID_ARGUMENT', 'give --kind and --value (and --tlp), or --file FILE for JSON Lines');
  }
  const object: Record<string, unknown> = {
    id: flags.id,
    kind: flags.kind,
    value: flags.value,
    tlp: flags.tlp,
    confidence: wholeNumberFlag(flags.confidence, 'confidence'),
    action: flags.action,
    validFor: flags.validFor,
    validFrom: flags.validFrom,
    validUntil: flags.validUntil,
    tags: flags.tag,
    campaign: flags.campaign,
    techniques: flags.technique,
    description: flags.description,
    normalizer: flags.normalizer,
    keyEpoch: wholeNumberFlag(flags.keyEpoch, 'key-epoch'),
    maxDistance: wholeNumberFlag(flags.maxDistance, 'max-distance'),
  };
  for (const key of Object.keys(object)) if (object[key] === undefined) delete object[key];
  const input = parseIndicatorJson(object, '', now);
  // Checked here too so the error names the flag's field, not "items[0]".
  validateIndicatorInput(input, now);
  return input;
}

function fromJsonLines(text: string, source: string, now: number): IndicatorInput[] {
  const items: IndicatorInput[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const path = `${source} line ${i + 1}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (err) {
      throw new DtxError('INVALID_ARGUMENT', `${path}: not valid JSON (${(err as Error).message})`, { details: { line: String(i + 1) } });
    }
    const input = parseIndicatorJson(parsed, path, now);
    validateIndicatorInput(input, now, path);
    items.push(input);
  }
  if (items.length === 0) throw new DtxError('INVALID_ARGUMENT', `${source}: no indicators found`);
  return items;
}

export function registerPublishCommand(program: Command): void {
  withClientOptions(
    program
      .command('publish')
      .description('publish indicators: one from flags, or many from JSON Lines with --file')
      .option('--file <file>', 'JSON Lines file of indicators, "-" for stdin')
      .option('--batch-size <n>', 'indicators per call when publishing a file', '1000')
      .option('--id <uuid>', 'publish a new version of this indicator')
      .addOption(new Option('--kind <kind>', 'indicator kind').choices([...KIND_NAMES]))
      .option('--value <value>', 'value as shared (keyed hash, canonical IP, domain, ...)')
      .option('--tlp <tlp>', 'CLEAR, GREEN, AMBER, AMBER+STRICT or RED')
      .option('--confidence <0-100>', 'confidence (default 50)')
      .option('--action <action>', 'block, challenge, flag or review (default by kind and confidence)')
      .option('--valid-for <duration>', 'validity from now or --valid-from, e.g. 30d, 12h')
      .option('--valid-from <time>', 'ISO 8601 start (default now)')
      .option('--valid-until <time>', 'ISO 8601 end (default by kind)')
      .option('--tag <tag>', 'tag (repeatable)', collect)
      .option('--campaign <ref>', 'campaign reference')
      .option('--technique <id>', 'MITRE ATLAS technique id, e.g. AML.T0024.002 (repeatable)', collect)
      .option('--description <text>', 'free text for analysts')
      .option('--normalizer <version>', 'normalizer version for hashed kinds, e.g. norm-v1')
      .option('--key-epoch <n>', 'federation key epoch for keyed hashes')
      .option('--max-distance <k>', 'prompt.simhash: Hamming distance that still matches (default 3)'),
  ).action(async (flags: PublishFlags) => {
    await initCrypto();
    const now = Date.now();
    const batchSize = wholeNumberFlag(flags.batchSize, 'batch-size') ?? 1000;
    if (batchSize < 1) throw new DtxError('INVALID_ARGUMENT', '--batch-size: at least 1');
    let items: IndicatorInput[];
    if (flags.file !== undefined) {
      const source = flags.file === '-' ? 'stdin' : flags.file;
      let text: string;
      try {
        text = readFileSync(flags.file === '-' ? 0 : flags.file, 'utf8');
      } catch (err) {
        throw new DtxError('INVALID_ARGUMENT', `cannot read ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      items = fromJsonLines(text, source, now);
    } else {
      items = [fromFlags(flags, now)];
    }
    const published = await withClient(flags, async (client) => {
      const batches: IndicatorInput[][] = [];
      for (let i = 0; i < items.length; i += batchSize) batches.push(items.slice(i, i + batchSize));
      const results: PublishedItem[][] = new Array(batches.length);
      const progress = new Progress('published', items.length);
      let next = 0;
      let done = 0;
      // A few calls in flight keep the node busy while the previous batch is answered; they are
      // sent in order on one connection, so the node sequences them in file order.
      const lane = async () => {
        while (next < batches.length) {
          const index = next++;
          results[index] = await client.publish(batches[index]!);
          done += batches[index]!.length;
          progress.update(done);
        }
      };
      await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, batches.length) }, lane));
      progress.done();
      return results.flat();
    });
    const rows = published.map((p) => ({ id: p.id, version: p.version, seq: Number(p.seq) }));
    printRows(rows, formatOf(flags), ['id', 'version', 'seq']);
  });
}
