/**
 * Addresses: what a node listens on (HOST:PORT) and what a client dials (HOST:PORT in plain
 * text, or https://HOST:PORT with TLS). Shared by the node's config, its roster and the client.
 */
import { DtxError, type ErrorCode } from './errors.js';

export interface HostPort {
  host: string;
  port: number;
}

const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]/]+)):(\d{1,5})$/;

/** Parses "HOST:PORT" or "[V6]:PORT"; port 0 asks the OS for a free port. */
export function parseHostPort(text: string, field: string, code: ErrorCode = 'CONFIG_INVALID'): HostPort {
  const match = HOST_PORT.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new DtxError(code, `${field}: expected HOST:PORT (for example 127.0.0.1:7700), got "${text}"`, { details: { field } });
  }
  return { host: match[1] ?? match[2]!, port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A node to dial: with TLS the server's certificate must name `host`. */
export interface DialTarget extends HostPort {
  tls: boolean;
  /** HOST:PORT, as grpc-js takes it. */
  address: string;
}

const TLS_SCHEME = 'https://';

/**
 * Parses "HOST:PORT" (plain text: loopback, or a private network) or "https://HOST:PORT" (TLS,
 * for anything beyond). Any other scheme is refused rather than guessed at.
 */
export function parseDialTarget(text: string, field: string, code: ErrorCode = 'INVALID_ARGUMENT'): DialTarget {
  const trimmed = text.trim();
  const tls = trimmed.toLowerCase().startsWith(TLS_SCHEME);
  const rest = tls ? trimmed.slice(TLS_SCHEME.length).replace(/\/$/, '') : trimmed;
  if (!tls && /^[a-z][a-z0-9+.-]*:\/\//i.test(rest)) {
    throw new DtxError(code, `${field}: expected HOST:PORT or https://HOST:PORT, got "${text}"`, { details: { field } });
  }
  let hostPort: HostPort;
  try {
    hostPort = parseHostPort(rest, field, code);
  } catch {
    throw new DtxError(code, `${field}: expected HOST:PORT or https://HOST:PORT (for example lab-b.example:7700), got "${text}"`, { details: { field } });
  }
  if (hostPort.port === 0) throw new DtxError(code, `${field}: port 0 can be listened on, not dialled ("${text}")`, { details: { field } });
  return { ...hostPort, tls, address: formatHostPort(hostPort) };
}

/** localhost, 127.0.0.0/8 or ::1: traffic that never leaves the machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::1' || h === '0:0:0:0:0:0:0:1';
}
