/**
 * Global setup drops the test template databases of other migrations once unused for a day,
 * and half-built ones, but never the current one, a recently used one, or one in use. Runs with
 * DATABASE_URL only (templates are a PostgreSQL-server thing).
 */
import { Client } from 'pg';
import { migrationsFingerprint } from './support/embedded-snapshot';
import { dropStaleTemplates, serverUrl, TEMPLATE_KEEP_MS } from './support/test-database';

const server = serverUrl();
const withServer = server ? describe : describe.skip;
const HOUR = 3600_000;

withServer('test template databases: housekeeping', () => {
  // Fingerprints no migrations produce (hex digits only, like real ones, but all one digit).
  const stale = 'tessera_tpl_0000000000000000';
  const recent = 'tessera_tpl_1111111111111111';
  const unstamped = 'tessera_tpl_2222222222222222';
  const inUse = 'tessera_tpl_3333333333333333';
  const partial = 'tessera_tpl_4444444444444444_999999_partial';
  const made = [stale, recent, unstamped, inUse, partial];
  let admin: Client;
  let holder: Client | undefined;

  const dbUrl = (name: string): string => {
    const url = new URL(server ?? '');
    url.pathname = `/${name}`;
    return url.toString();
  };

  async function exists(name: string): Promise<boolean> {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return found.rowCount === 1;
  }

  async function usedAt(name: string, ms: number): Promise<void> {
    const note = `tessera test template, last used ${new Date(ms).toISOString()}`;
    await admin.query(`COMMENT ON DATABASE ${name} IS '${note}'`);
  }

  beforeAll(async () => {
    admin = new Client({ connectionString: server });
    await admin.connect();
    for (const name of made) await admin.query(`CREATE DATABASE ${name}`);
    holder = new Client({ connectionString: dbUrl(inUse) });
    await holder.connect();
  });
  afterAll(async () => {
    await holder?.end();
    for (const name of made) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  it('drops templates of other migrations unused for TEMPLATE_KEEP_MS and half-built ones, keeps the rest', async () => {
    const now = Date.now();
    await usedAt(stale, now - TEMPLATE_KEEP_MS - HOUR);
    await usedAt(inUse, now - TEMPLATE_KEEP_MS - HOUR);
    await usedAt(recent, now - HOUR);

    const dropped = await dropStaleTemplates(server ?? '', { nowMs: now, among: made });

    expect(dropped).toEqual(expect.arrayContaining([stale, partial]));
    expect(dropped).not.toEqual(expect.arrayContaining([recent]));
    expect(await exists(stale)).toBe(false);
    expect(await exists(partial)).toBe(false);
    expect(await exists(recent)).toBe(true);
    // In use: left for next time, without failing the run.
    expect(await exists(inUse)).toBe(true);
    // Never stamped (a template from before the stamps): stamped now, dropped a day later.
    expect(await exists(unstamped)).toBe(true);
    const later = await dropStaleTemplates(server ?? '', {
      nowMs: now + TEMPLATE_KEEP_MS + HOUR,
      among: made,
    });
    expect(later).toEqual(expect.arrayContaining([unstamped, recent]));
    expect(later).not.toContain(inUse);
    expect(await exists(unstamped)).toBe(false);
  });

  it('never drops the current migrations template', async () => {
    const current = `tessera_tpl_${migrationsFingerprint()}`;
    const before = await exists(current);
    await dropStaleTemplates(server ?? '', {
      keepMs: 0,
      nowMs: Date.now() + 10 * TEMPLATE_KEEP_MS,
      among: [current],
    });
    expect(await exists(current)).toBe(before);
  });
});
