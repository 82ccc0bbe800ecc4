#!/usr/bin/env node
/**
 * The operator CLI: `npm run cli -- <command>` (see `npm run cli -- --help`). Same configuration
 * as the server. Exit status 0 on success; on failure one line on stderr and a non-zero status.
 */
import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliError, describeFailure } from './cli/cli-output';
import { CliModule } from './cli/cli.module';
import { ConfigError, loadConfig } from './config/app-config';

/** sysexits.h EX_CONFIG, as the server uses for a bad environment. */
const EX_CONFIG = 78;

function loadDotEnv(): void {
  try {
    process.loadEnvFile('.env');
  } catch {
    // .env is optional
  }
}

async function main(): Promise<number> {
  loadDotEnv();
  let failure: unknown;
  try {
    const config = loadConfig(process.env);
    await CommandFactory.run(CliModule.forRoot(config), {
      logger: false,
      serviceErrorHandler: (error) => {
        failure = error;
      },
    });
  } catch (error) {
    failure = error;
  }
  if (failure === undefined) return 0;
  process.stderr.write(`error: ${describeFailure(failure)}\n`);
  if (failure instanceof ConfigError) return EX_CONFIG;
  return failure instanceof CliError ? failure.exitCode : 1;
}

// A pending database query is not a handle that keeps Node alive: without this timer, a command
// waiting on the (embedded) pool could end the process early with status 0.
const keepAlive = setInterval(() => undefined, 60_000);
main().then(
  (status) => {
    clearInterval(keepAlive);
    // Exit once stdout is flushed (a pipe may still hold export lines), even if some library
    // left a handle open.
    process.stdout.write('', () => process.exit(status));
  },
  (error: unknown) => {
    process.stderr.write(`error: ${describeFailure(error)}\n`);
    process.exit(1);
  },
);
