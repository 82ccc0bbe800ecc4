import type { LoggerService } from '@nestjs/common';
import type { LogLevel } from '../config/app-config';
import { currentRequestId } from './request-context';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogSink = (line: string) => void;

/**
 * Structured JSON logs, one object per line, each with the current request id. Messages are
 * written as given: callers never pass secrets (tokens, passwords, keys) to the logger.
 */
export class JsonLogger implements LoggerService {
  constructor(
    private readonly level: LogLevel = 'info',
    private readonly sink: LogSink = (line) => process.stdout.write(`${line}\n`),
  ) {}

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
    this.write('error', message, rest);
  }

  private write(level: LogLevel, message: unknown, rest: unknown[]): void {
    if (RANK[level] < RANK[this.level]) return;
    // Nest passes the context name last; an error stack, when present, comes before it.
    const args = [...rest];
    const context = typeof args[args.length - 1] === 'string' ? args.pop() : undefined;
    const entry: Record<string, unknown> = {
      level,
      time: new Date().toISOString(),
      context,
      requestId: currentRequestId(),
    };
    if (message instanceof Error) {
      entry.msg = message.message;
      entry.stack = message.stack;
    } else if (typeof message === 'object' && message !== null) {
      Object.assign(entry, message);
    } else {
      entry.msg = String(message);
    }
    const stack = args.find((arg) => typeof arg === 'string');
    if (stack) entry.stack = stack;
    this.sink(JSON.stringify(entry));
  }
}
