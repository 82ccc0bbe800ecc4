import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import type { EmbeddedPostgres } from './embedded-postgres';
import { ENTITIES } from './entities';

export interface DatabaseTarget {
  /** A PostgreSQL server URL, or the embedded database already opened by the caller. */
  url?: string;
  embedded?: EmbeddedPostgres;
  migrationsRun: boolean;
  /** Connections to a server (DATABASE_POOL_SIZE); the embedded database has exactly one. */
  poolSize?: number;
}

/** One definition of the data source for the app, the migration CLI and the tests. */
export function buildDataSourceOptions(target: DatabaseTarget): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: target.migrationsRun,
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    // Both engines: uuid defaults use gen_random_uuid(); PGlite has no uuid-ossp.
    uuidExtension: 'pgcrypto' as const,
    installExtensions: false,
    // A lost database must fail a request quickly (503), not hang it.
    connectTimeoutMS: 3000,
    logging: false,
  };
  if (target.embedded) {
    const pgConfig = target.embedded.pgConnectionConfig();
    return {
      ...common,
      poolSize: 1,
      extra: { connection: pgConfig.connection, idleTimeoutMillis: 0 },
    };
  }
  if (!target.url) throw new Error('A database URL or an embedded database is required');
  return {
    ...common,
    url: target.url,
    poolSize: target.poolSize ?? 10,
    extra: { idleTimeoutMillis: 30_000, query_timeout: 15_000, application_name: 'tessera' },
  };
}
