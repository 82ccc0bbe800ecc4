import { once } from 'node:events';
import { AppException } from '../common/app.exception';
import { ConfigError } from '../config/app-config';
import { describeError } from '../common/describe-error';

/** A failure whose message is meant for the operator as is. */
export class CliError extends Error {
  constructor(
    message: string,
    /** The process exit status (1 unless a command documents another). */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Writes to stdout, waiting when the pipe is full (an audit export can be large). */
export async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

/** The one line the operator sees on stderr for any failure. */
export function describeFailure(error: unknown): string {
  if (error instanceof AppException) {
    const fields = (error.extras.errors ?? []).map((e) => `${e.field} ${e.messages.join(', ')}`);
    return [error.detail ?? error.code, ...fields].join('; ');
  }
  if (error instanceof ConfigError) return `invalid configuration: ${error.problems.join('; ')}`;
  const message = describeError(error);
  return message.split('\n')[0] ?? 'failed';
}

/** Actions of the operator CLI are audited with this actor id (no user performs them). */
export const CLI_ACTOR_ID = '00000000-0000-0000-0000-000000000000';
