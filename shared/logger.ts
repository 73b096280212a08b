/**
 * Structured JSON logs to stderr (pino). Secrets never reach a log line: callers pass ids and
 * counts, and the redaction list below is a second line of defence for tokens and keys.
 */
import { pino, type Logger } from 'pino';
import { readEnv } from './env.js';

export type { Logger };

const REDACT = ['token', 'authorization', 'key', 'secret', '*.token', '*.authorization', '*.key', '*.secret'];

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  const level = options.level ?? readEnv().logLevel ?? 'info';
  return pino(
    { level, name: options.name ?? 'dtx', redact: { paths: REDACT, censor: '[redacted]' }, base: { pid: process.pid } },
    pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that drops everything: for library use and tests that do not care. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
