/**
 * Bad input on the command line: every case fails with a clear one-line error naming the field,
 * a non-zero exit, and nothing stored on the node.
 */
import { describe, expect, it } from 'vitest';
import {
  type CliResult,
  dtx,
  expectDtxError,
  logLength,
  query,
  useNodeFixture,
} from './_cli.js';

let entriesBefore: number;
const lab = useNodeFixture(async () => {
  // One good indicator, so "nothing stored" is checked against a non-empty log.
  const ok = await dtx(['publish', '--data', lab.dir, '--kind', 'network.ip', '--value', '192.0.2.1', '--tlp', 'CLEAR']);
  expect(ok.code, ok.stderr).toBe(0);
  entriesBefore = await logLength(lab.dir);
});
const dir = lab.dir;

const publish = (...flags: string[]) => dtx(['publish', '--data', dir, ...flags]);

let unknownKind: Promise<CliResult> | undefined;
/** One run shared by the two tests about an unknown --kind. */
const publishUnknownKind = () => (unknownKind ??= publish('--kind', 'network.ipv9', '--value', '192.0.2.16', '--tlp', 'AMBER'));

// The cases are independent invocations: run them side by side (vitest gives this file one worker).
describe.concurrent('publish rejects bad flags', () => {
  it('--confidence 101', async () => {
    const r = await publish('--kind', 'network.ip', '--value', '192.0.2.10', '--tlp', 'AMBER', '--confidence', '101');
    expectDtxError(r, 'INVALID_ARGUMENT', /confidence/);
  });

  it('--tlp purple', async () => {
    const r = await publish('--kind', 'network.ip', '--value', '192.0.2.12', '--tlp', 'purple');
    expectDtxError(r, 'INVALID_ARGUMENT', /tlp/i);
  });

  it('missing --tlp', async () => {
    const r = await publish('--kind', 'network.ip', '--value', '192.0.2.13');
    expectDtxError(r, 'INVALID_ARGUMENT', /tlp/i);
  });

  it('missing --value', async () => {
    const r = await publish('--kind', 'network.ip', '--tlp', 'AMBER');
    expectDtxError(r, 'INVALID_ARGUMENT', /--value/);
  });

  it('--valid-for 0d', async () => {
    const r = await publish('--kind', 'network.ip', '--value', '192.0.2.14', '--tlp', 'AMBER', '--valid-for', '0d');
    expectDtxError(r, 'INVALID_ARGUMENT', /valid.?for/i);
  });

  it('a value that is not valid for its kind', async () => {
    const r = await publish('--kind', 'network.ip', '--value', '192.0.2.300', '--tlp', 'AMBER');
    expectDtxError(r, 'INVALID_ARGUMENT', /value/);
  });

  it('unknown --kind: the option parser rejects it and lists the kinds', async () => {
    const r = await publishUnknownKind();
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('--kind');
    expect(r.stderr).toContain('network.ipv9');
    expect(r.stderr).toContain('network.cidr'); // the allowed choices
  });

  it('unknown --kind follows the CLI error contract (one "dtx: " line, [INVALID_ARGUMENT], exit 2)', async () => {
    // Usage errors found by the option parser are bad input too: scripts should see the same shape.
    expectDtxError(await publishUnknownKind(), 'INVALID_ARGUMENT', /--kind/);
  });

  it('get with a non-UUID id is INVALID_ARGUMENT naming the id', async () => {
    const r = await dtx(['get', 'not-a-uuid', '--data', dir]);
    expectDtxError(r, 'INVALID_ARGUMENT', /\bid\b/);
  });

  it('get with an unknown UUID is NOT_FOUND', async () => {
    const r = await dtx(['get', '01a20d42-0000-7000-8000-000000000000', '--data', dir, '--json']);
    expectDtxError(r, 'NOT_FOUND');
  });
});

describe('after the bad input', () => {
  it('nothing was stored', async () => {
    const [entries, found] = await Promise.all([logLength(dir), query(dir, 'network.ip', '192.0.2.10')]);
    expect(entries).toBe(entriesBefore);
    expect(found).toEqual([]);
  });
});
