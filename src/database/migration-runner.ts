import type { DataSource } from 'typeorm';

/** Any fixed number: the advisory lock every instance takes to migrate one at a time. */
const MIGRATION_LOCK_KEY = 7_264_001;

/**
 * Applies pending migrations. On a shared server, instances starting together take a
 * PostgreSQL advisory lock so exactly one migrates while the others wait and then find nothing
 * to do. (The embedded database has a single owner process, and its pool has one connection.)
 */
export async function runPendingMigrations(
  dataSource: DataSource,
  shared: boolean,
): Promise<string[]> {
  if (!shared) return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.release();
  }
}
