/** dtx --help and per-command help: exit 0, list the commands and options. */
import { describe, expect, it } from 'vitest';
import { dtx } from './_cli.js';

// Independent invocations: run side by side (vitest gives one worker to this file).
describe.concurrent('help', () => {
  it('dtx --help lists every command and how client commands find their node', async () => {
    const r = await dtx(['--help']);
    expect(r.code).toBe(0);
    for (const command of ['init', 'start', 'publish', 'get', 'query', 'retract', 'sighting', 'log', 'verify']) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    }
    for (const hint of ['--data', '--node', '--token', 'DTX_NODE', 'DTX_TOKEN']) expect(r.stdout).toContain(hint);
  });

  it('dtx publish --help lists its options, the kinds and the connection options', async () => {
    const r = await dtx(['publish', '--help']);
    expect(r.code).toBe(0);
    const options = [
      '--file', '--kind', '--value', '--tlp', '--confidence', '--action', '--valid-for', '--tag', '--campaign',
      '--technique', '--description', '--data', '--node', '--token', '--format', '--json',
    ];
    for (const option of options) expect(r.stdout).toMatch(new RegExp(`^\\s+${option}\\b`, 'm'));
    for (const kind of ['network.ip', 'network.cidr', 'account.email', 'prompt.simhash']) expect(r.stdout).toContain(kind);
  });

  it('a reader that closes the pipe early (dtx --help | head) ends the command quietly, status 0', async () => {
    const r = await dtx(['--help'], { closeStdout: true });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('dtx --version prints a version', async () => {
    const r = await dtx(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
