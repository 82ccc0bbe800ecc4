import { type INestApplicationContext, Injectable } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module';
import { SystemClock } from '../common/clock';
import { JsonLogger } from '../common/json-logger';
import { AppConfig } from '../config/app-config';
import { buildDataSourceOptions } from '../database/data-source-options';
import { EmbeddedPostgres } from '../database/embedded-postgres';
import { OutboxRelay } from '../events/outbox-relay.service';
import { CliError } from './cli-output';

/**
 * Boots the application's modules as a Nest application context (no HTTP server) for the
 * commands that need the database; commands that do not (help, keys:rotate) never open it.
 * Same configuration, same services and the same outbox as the server, so a CLI action is
 * validated, audited and announced to running instances exactly like its HTTP twin.
 */
@Injectable()
export class CliRuntime {
  constructor(private readonly config: AppConfig) {}

  async withApp<T>(work: (app: INestApplicationContext) => Promise<T>): Promise<T> {
    const embedded = await this.openEmbedded();
    let app: INestApplicationContext | undefined;
    try {
      app = await NestFactory.createApplicationContext(
        AppModule.forRoot({
          config: this.config,
          dataSource: buildDataSourceOptions({
            url: this.config.databaseUrl,
            embedded,
            migrationsRun: this.config.migrationsRun,
          }),
          clock: new SystemClock(),
        }),
        { logger: this.logger(), abortOnError: false },
      );
      const result = await work(app);
      // Publish this command's events (audit records, alerts) before the process ends.
      await app.get(OutboxRelay).flush();
      return result;
    } finally {
      await app?.close();
      await embedded?.close();
    }
  }

  /**
   * Quiet unless LOG_LEVEL=debug: a failure is reported as one line on stderr by the entry
   * point, and stdout carries only the command's output (audit:export is JSON Lines).
   */
  private logger(): JsonLogger | false {
    if (this.config.logLevel !== 'debug') return false;
    return new JsonLogger('debug', (line) => process.stderr.write(`${line}\n`));
  }

  private async openEmbedded(): Promise<EmbeddedPostgres | undefined> {
    if (this.config.databaseUrl) return undefined;
    try {
      return await EmbeddedPostgres.open({ kind: 'directory', dataDir: this.config.dataDir });
    } catch (error) {
      const holder = /in use by process (\d+)/.exec(error instanceof Error ? error.message : '');
      if (!holder) throw error;
      // PGlite is single-process: the lock file in DATA_DIR keeps a second opener out.
      throw new CliError(
        `the embedded database in ${this.config.dataDir} is in use by process ${holder[1]} ` +
          '(a running Tessera server?). The CLI cannot run while a server holds the same ' +
          'DATA_DIR: stop the server first, or run both against PostgreSQL (DATABASE_URL).',
      );
    }
  }
}
