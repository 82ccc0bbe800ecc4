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

/** `work` on the server's maintenance connection, holding the template lock. */
function withTemplateLock<T>(base: string, work: (client: Client) => Promise<T>): Promise<T> {
  return withAdmin(base, async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    try {
      return await work(client);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]);
    }
  });
}
const TEMPLATE_PREFIX = 'tessera_tpl_';
/** The template's comment: when a test run last copied it (dropStaleTemplates reads it). */
const USED_NOTE = 'tessera test template, last used ';
/**
 * A template of other migrations (another branch, an edited migration) is dropped once unused
 * this long: long enough that two checkouts sharing a server do not drop each other's.
 */
export const TEMPLATE_KEEP_MS = 24 * 60 * 60 * 1000;
/** PostgreSQL's object_in_use: someone is connected to (or copying) the database. */
const OBJECT_IN_USE = '55006';

function templateName(): string {
  return `${TEMPLATE_PREFIX}${migrationsFingerprint()}`;
}

async function markUsed(client: Client, name: string, nowMs: number): Promise<void> {
  await client.query(
    `COMMENT ON DATABASE ${name} IS '${USED_NOTE}${new Date(nowMs).toISOString()}'`,
  );
}

function lastUsedMs(note: string | null): number | undefined {
  if (!note?.startsWith(USED_NOTE)) return undefined;
  const ms = Date.parse(note.slice(USED_NOTE.length));
  return Number.isNaN(ms) ? undefined : ms;
}

export interface StaleTemplateOptions {
  keepMs?: number;
  /** The time to judge by (epoch ms). */
  nowMs?: number;
  /** Only these databases are considered (tests: never the other checkouts' templates). */
  among?: readonly string[];
}

/**
 * Drops the test template databases nobody needs, so a machine that runs the suites on many
 * branches does not fill its disk with one migrated copy per migrations fingerprint: templates
 * of other fingerprints unused for `keepMs` (one never stamped is stamped now, and goes
 * `keepMs` later if still unused), and half-built ones a killed run left. Under the template
 * lock, so no run is building or stamping one meanwhile; a database still in use is left for
 * next time. Returns the names dropped.
 */
export async function dropStaleTemplates(
  base: string,
  options: StaleTemplateOptions = {},
): Promise<string[]> {
  const { keepMs = TEMPLATE_KEEP_MS, nowMs = Date.now(), among } = options;
  const current = templateName();
  return withTemplateLock(base, async (client) => {
    // A database with sessions is skipped up front: DROP would wait 5 s before refusing.
    const { rows } = await client.query<{ datname: string; note: string | null; busy: boolean }>(
      `SELECT d.datname, shobj_description(d.oid, 'pg_database') AS note,
                EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname) AS busy
           FROM pg_database d
          WHERE d.datname LIKE $1 AND d.datname <> $2 ORDER BY d.datname`,
      [`${TEMPLATE_PREFIX.replace(/_/g, '\\_')}%`, current],
    );
    const dropped: string[] = [];
    for (const { datname, note, busy } of rows) {
      if (busy || (among && !among.includes(datname))) continue;
      const usedMs = lastUsedMs(note);
      if (!datname.endsWith('_partial') && usedMs === undefined) {
        await markUsed(client, datname, nowMs);
        continue;
      }
      if (usedMs !== undefined && nowMs - usedMs < keepMs) continue;
      if (await dropUnlessInUse(client, datname)) dropped.push(datname);
    }
    return dropped;
  });
}

async function dropUnlessInUse(client: Client, name: string): Promise<boolean> {
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name}`);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === OBJECT_IN_USE) return false;
    throw error;
  }
}

/**
 * The name of a database on the server with every migration applied, built by the first caller
 * for the current migrations (the name carries their fingerprint, so a changed migration gets a
 * new template). Built under another name and renamed, under an advisory lock: concurrent
 * workers wait for it, and never copy half a template.
 */
async function migratedTemplate(base: string): Promise<string> {
  const name = templateName();
  await withTemplateLock(base, async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount !== 0) {
      await markUsed(client, name, Date.now());
      return;
    }
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
    await markUsed(client, name, Date.now());
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
