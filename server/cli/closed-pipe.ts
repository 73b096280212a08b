/**
 * A reader that stops early (`dtx log | head`) closes the pipe under the command. Node ignores
 * SIGPIPE, so the next write fails with EPIPE, and that stream error, unhandled, ended the
 * command with a stack trace. A command now ends quietly, with status 0, as Unix tools do;
 * `dtx start` keeps serving, since its peers and clients need it more than its console does.
 */
export function handleClosedPipes(keepRunning: boolean): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      if (!keepRunning) process.exit(0);
    });
  }
}
