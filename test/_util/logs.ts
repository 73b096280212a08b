/** A logger whose warning and error lines a test reads back (JSON, one per line). */
import { pino, type Logger } from 'pino';

export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }), lines };
}
