/**
 * Node prints a deprecation warning (DEP0123) when a TLS connection's server name is an IP
 * address, as it is for https://127.0.0.1:PORT: grpc-js sends the dialled host as the name.
 * It says nothing a user can act on and would land in the output of commands and scripts, so
 * that one is dropped; every other warning is printed as Node would.
 */
export function quietIpServerNameWarning(): void {
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    if (warning.code === 'DEP0123') return;
    for (const print of printers) print(warning);
  });
}
