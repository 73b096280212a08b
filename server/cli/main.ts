#!/usr/bin/env node
/**
 * The dtx command. Node commands (init, start) work on a data directory; client commands talk
 * to a node over gRPC. Errors are one line on stderr and a non-zero exit.
 */
import { Command, CommanderError } from 'commander';
import { DtxError } from '../../shared/errors.js';
import { VERSION } from '../../shared/version.js';
import { handleClosedPipes } from './closed-pipe.js';
import { reportError } from './common.js';
import { quietIpServerNameWarning } from './warnings.js';

type Register = (program: Command) => void;

/**
 * Command modules by the command names they register, loaded on demand: `dtx start` then loads
 * the server's modules only, not every client command's (about 100 ms of a start-up that must
 * stay under a second). Help, --version and unknown names load them all.
 */
const nodeCommands = () => import('./commands/node-commands.js').then((m): Register => m.registerNodeCommands);
const readCommands = () => import('./commands/read-commands.js').then((m): Register => m.registerReadCommands);
const COMMANDS: Record<string, () => Promise<Register>> = {
  init: nodeCommands,
  start: nodeCommands,
  publish: () => import('./commands/publish.js').then((m) => m.registerPublishCommand),
  get: readCommands,
  query: readCommands,
  log: readCommands,
  retract: () => import('./commands/write-commands.js').then((m) => m.registerWriteCommands),
  verify: () => import('./commands/verify.js').then((m) => m.registerVerifyCommand),
  peer: () => import('./commands/peer-commands.js').then((m) => m.registerPeerCommands),
  status: () => import('./commands/status-command.js').then((m) => m.registerStatusCommand),
  quarantine: () => import('./commands/quarantine-command.js').then((m) => m.registerQuarantineCommand),
  demo: () => import('./commands/demo-command.js').then((m) => m.registerDemoCommand),
};

const program = new Command()
  .name('dtx')
  .description('DTX, the Distillation Threat Exchange: share signed indicators of model-distillation campaigns between labs')
  .version(VERSION)
  // Parse errors go through reportError like every other error: one "dtx: ..." line, exit 2.
  .exitOverride()
  .configureOutput({ outputError: () => {} })
  .addHelpText(
    'after',
    `
Client commands find their node with --data DIR, or --node HOST:PORT and --token T,
or the DTX_NODE / DTX_TOKEN / DTX_DATA environment variables.

Examples:
  dtx init --data ./lab-a --name "Lab A"
  dtx start --data ./lab-a
  dtx publish --data ./lab-a --kind network.cidr --value 203.0.113.0/24 --tlp AMBER --valid-for 14d
  dtx query --data ./lab-a --kind network.cidr --value 203.0.113.0/24
  dtx verify --data ./lab-a
  dtx peer add --data ./lab-a --id dtxPEERNODEID... --url lab-b.example:7700 --name "Lab B"
  dtx status --data ./lab-a
  dtx demo                     (three labs on loopback, federation end to end in a minute)`,
  );

handleClosedPipes(process.argv[2] === 'start');
quietIpServerNameWarning();

const named = COMMANDS[process.argv[2] ?? ''];
for (const load of named ? [named] : new Set(Object.values(COMMANDS))) (await load())(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // Help and --version also arrive here, with exit code 0.
    if (err.exitCode === 0) return;
    const message = err.message.replace(/^error: /, '');
    process.exitCode = reportError(new DtxError('INVALID_ARGUMENT', `${message} (see dtx --help)`));
    return;
  }
  process.exitCode = reportError(err);
});
