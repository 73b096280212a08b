import { DtxError } from '../../shared/errors.js';

export interface HostPort {
  host: string;
  port: number;
}

/** Parses "HOST:PORT" or "[V6]:PORT"; port 0 asks the OS for a free port. */
export function parseHostPort(text: string, field: string): HostPort {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new DtxError('CONFIG_INVALID', `${field}: expected HOST:PORT (for example 127.0.0.1:7700), got "${text}"`, { details: { field } });
  }
  return { host: match[1] ?? match[2]!, port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
