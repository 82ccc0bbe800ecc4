import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres';
import { runPendingMigrations } from '../../src/database/migration-runner';

const MIGRATIONS_DIR = resolve(__dirname, '..', '..', 'migrations');

/** Changes whenever a migration file changes, so a stale snapshot is never used. */
export function migrationsFingerprint(): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(MIGRATIONS_DIR).sort()) {
    hash.update(name).update(readFileSync(join(MIGRATIONS_DIR, name)));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * An embedded database with every migration applied, dumped once to a file and loaded by each
 * test app: initdb and the migrations cost seconds, loading the dump well under one. The apps
 * still run their migration step at start (finding nothing to do).
 */
export async function migratedSnapshot(): Promise<Blob> {
  const file = join(tmpdir(), `tessera-pglite-${migrationsFingerprint()}.tar`);
  if (existsSync(file)) return new Blob([readFileSync(file)]);
  const embedded = await EmbeddedPostgres.open({ kind: 'memory' });
  const dataSource = new DataSource(buildDataSourceOptions({ embedded, migrationsRun: false }));
  try {
    await dataSource.initialize();
    await runPendingMigrations(dataSource, false);
    await dataSource.destroy();
    const snapshot = await embedded.dumpSnapshot();
    // Written aside and renamed: workers racing here never read half a file.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, Buffer.from(await snapshot.arrayBuffer()));
    renameSync(partial, file);
    return snapshot;
  } finally {
    await embedded.close();
  }
}
