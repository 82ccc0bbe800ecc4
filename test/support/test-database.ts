import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { runPendingMigrations } from '../../src/database/migration-runner';
import { migrationsFingerprint } from './embedded-snapshot';

/** The PostgreSQL server named by DATABASE_URL, when the suite runs against one. */
export function serverUrl(): string | undefined {
  const url = process.env.DATABASE_URL;
  return url && url.trim() !== '' ? url : undefined;
}

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(
  serverUrlText: string,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const admin = new Client({ connectionString: serverUrlText });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

function databaseUrl(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A fresh database on the server for one test app; dropped afterwards. Empty, or a copy of
 * `template` (CREATE DATABASE … TEMPLATE).
 */
export async function createScratchDatabase(
  base: string,
  template?: string,
): Promise<ScratchDatabase> {
  const name = `tessera_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin(base, (client) =>
    client.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`),
  );
  return {
    url: databaseUrl(base, name),
    drop: () =>
      withAdmin(base, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      ).then(() => undefined),
  };
}

/** Held (on the server's maintenance connection) while a process looks for or builds a template. */
const TEMPLATE_LOCK_KEY = 7_264_002;

/**
 * The name of a database on the server with every migration applied, built by the first caller
 * for the current migrations (the name carries their fingerprint, so a changed migration gets a
 * new template). Built under another name and renamed, under an advisory lock: concurrent
 * workers wait for it, and never copy half a template.
 */
async function migratedTemplate(base: string): Promise<string> {
  const name = `tessera_tpl_${migrationsFingerprint()}`;
  await withAdmin(base, async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount !== 0) return;
      const building = `${name}_${process.pid}_partial`;
      await client.query(`DROP DATABASE IF EXISTS ${building}`);
      await client.query(`CREATE DATABASE ${building}`);
      const dataSource = new DataSource(
        buildDataSourceOptions({ url: databaseUrl(base, building), migrationsRun: false }),
      );
      await dataSource.initialize();
      try {
        await runPendingMigrations(dataSource, false);
      } finally {
        await dataSource.destroy();
      }
      await client.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]);
    }
  });
  return name;
}

/**
 * A scratch database with every migration already applied: a copy of the migrated template
 * (a fraction of a second) instead of migrating each test app's database from nothing (~2 s
 * each, for every app the suite boots). Test apps still run their migration step at start and
 * find nothing to do, as on the embedded snapshot (embedded-snapshot.ts).
 */
export async function createMigratedScratchDatabase(base: string): Promise<ScratchDatabase> {
  return createScratchDatabase(base, await migratedTemplate(base));
}
