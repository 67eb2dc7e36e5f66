/** The server's pino logger: readable (pino-pretty) on a terminal, one JSON object per line otherwise. */
import { pino, type Logger } from 'pino';
import PinoPretty from 'pino-pretty';

export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * `auto` picks pretty when stdout is a terminal (someone is reading) and JSON when it is a pipe or a
 * file (a log collector is): the usual convention, and what BGR_LOG_FORMAT overrides.
 */
export function chooseLogFormat(format: LogFormat, stdoutIsTTY: boolean): 'json' | 'pretty' {
  return format === 'auto' ? (stdoutIsTTY ? 'pretty' : 'json') : format;
}

/** The logger of `bgr serve`, writing to stdout. */
export function createLogger(level: string, format: LogFormat, stdoutIsTTY = Boolean(process.stdout.isTTY)): Logger {
  if (chooseLogFormat(format, stdoutIsTTY) === 'json') return pino({ level });
  // In this thread and synchronous (no transport worker): nothing is lost when the process exits right after a line.
  return pino(
    { level },
    PinoPretty({ colorize: stdoutIsTTY, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }),
  );
}
