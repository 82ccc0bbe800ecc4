/**
 * `npm run migration:run`: applies pending migrations with the server's configuration and
 * exits (0 on success; a one-line message and 1 on failure).
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { buildDataSourceOptions } from './data-source-options';
import { EmbeddedPostgres } from './embedded-postgres';
import { runPendingMigrations } from './migration-runner';
import { describeError } from '../common/describe-error';

async function main(): Promise<void> {
  try {
    process.loadEnvFile('.env');
  } catch {
    // .env is optional
  }
  const config = loadConfig(process.env);
  const embedded = config.databaseUrl
    ? undefined
    : await EmbeddedPostgres.open({ kind: 'directory', dataDir: config.dataDir });
  const dataSource = new DataSource(
    buildDataSourceOptions({ url: config.databaseUrl, embedded, migrationsRun: false }),
  );
  try {
    await dataSource.initialize();
    const applied = await runPendingMigrations(dataSource, Boolean(config.databaseUrl));
    process.stdout.write(
      applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'nothing to apply\n',
    );
  } finally {
    await dataSource.destroy().catch(() => undefined);
    await embedded?.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`migration failed: ${describeError(error)}\n`);
  process.exit(1);
});
