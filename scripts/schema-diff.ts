/**
 * Prints the SQL that would bring a database migrated with MIGRATIONS in line with the entities
 * (empty when they agree). Used to write migrations and, in the tests, to prove there is no drift.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { EmbeddedPostgres } from '../src/database/embedded-postgres';

export async function pendingSchemaChanges(url?: string): Promise<string[]> {
  const embedded = url ? undefined : await EmbeddedPostgres.open({ kind: 'memory' });
  const dataSource = new DataSource(
    buildDataSourceOptions({ url, embedded, migrationsRun: false }),
  );
  try {
    await dataSource.initialize();
    await dataSource.runMigrations();
    const sql = await dataSource.driver.createSchemaBuilder().log();
    return sql.upQueries.map((query) => query.query);
  } finally {
    await dataSource.destroy();
    await embedded?.close();
  }
}

if (require.main === module) {
  pendingSchemaChanges(process.env.DATABASE_URL).then(
    (queries) => {
      for (const query of queries) process.stdout.write(`${query};\n`);
    },
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
