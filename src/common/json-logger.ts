import type { LoggerService } from '@nestjs/common';
import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogLevel } from '../config/app-config';
import { REDACTED, redactPaths } from './log-redaction';
import { currentRequestId } from './request-context';

export type LogSink = (line: string) => void;

/** A pino destination that hands each finished JSON line (without its newline) to a sink. */
function sinkStream(sink: LogSink): DestinationStream {
  return { write: (line: string) => sink(line.endsWith('\n') ? line.slice(0, -1) : line) };
}

/**
 * The one pino logger of a process: JSON lines with a string level, an ISO time and the current
 * request id, secrets redacted by key (log-redaction.ts). Without a sink it writes to stdout
 * through pino's buffered destination, which pino flushes when the process exits.
 */
export function createPinoLogger(level: LogLevel, sink?: LogSink): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths(), censor: REDACTED },
      // A field of the logged object wins over this, so an access line keeps its own request id.
      mixin: () => ({ requestId: currentRequestId() }),
    },
    sink ? sinkStream(sink) : pino.destination({ dest: 1, sync: false }),
  );
}

type PinoLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * Nest's LoggerService on top of pino: `new JsonLogger(level)` writes to stdout, `new
 * JsonLogger(level, sink)` hands the lines to `sink` (tests, the CLI's stderr). Nest passes the
 * context name last; an error stack, when present, comes before it.
 */
export class JsonLogger implements LoggerService {
  readonly pino: Logger;

  constructor(level: LogLevel = 'info', sink?: LogSink) {
    this.pino = createPinoLogger(level, sink);
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: PinoLevel, message: unknown, rest: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const args = [...rest];
    const context = typeof args[args.length - 1] === 'string' ? args.pop() : undefined;
    const entry: Record<string, unknown> = { context };
    let msg: string | undefined;
    if (message instanceof Error) {
      msg = message.message;
      entry.stack = message.stack;
    } else if (typeof message === 'object' && message !== null) {
      Object.assign(entry, message);
    } else {
      msg = String(message);
    }
    const stack = args.find((arg) => typeof arg === 'string');
    if (stack) entry.stack = stack;
    this.pino[level](entry, msg);
  }
}
