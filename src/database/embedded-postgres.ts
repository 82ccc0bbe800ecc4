import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';

/** Where the embedded database lives: a directory that survives restarts, or memory (tests). */
export type EmbeddedLocation =
  { kind: 'directory'; dataDir: string } | { kind: 'memory'; snapshot?: Blob };

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite does not stop two processes from opening one data directory (which corrupts it), so
 * take an exclusive lock file holding our pid; a lock left by a dead process is taken over.
 */
function acquireLock(lockPath: string): () => void {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lockPath, 'utf8').trim());
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
        throw new Error(
          `The embedded database in ${resolve(lockPath, '..')} is in use by process ${holder}. ` +
            'Stop it, use another DATA_DIR, or set DATABASE_URL to share a PostgreSQL server.',
          { cause: error },
        );
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`Could not lock ${lockPath}`);
}

/** An in-process PostgreSQL (PGlite) reached through its node-postgres adapter. */
export class EmbeddedPostgres {
  private constructor(
    readonly pglite: PGlite,
    private readonly releaseLock: () => void,
  ) {}

  static async open(location: EmbeddedLocation): Promise<EmbeddedPostgres> {
    if (location.kind === 'memory') {
      const pglite = await PGlite.create({ loadDataDir: location.snapshot });
      return new EmbeddedPostgres(pglite, () => undefined);
    }
    const root = resolve(location.dataDir);
    mkdirSync(root, { recursive: true });
    const release = acquireLock(join(root, 'embedded-postgres.lock'));
    try {
      const pglite = await PGlite.create(join(root, 'pgdata'));
      return new EmbeddedPostgres(pglite, release);
    } catch (error) {
      release();
      throw error;
    }
  }

  /** The pg client configuration; TypeORM's pool must be limited to this one connection. */
  pgConnectionConfig(): ReturnType<typeof createPgConfig> {
    return createPgConfig(this.pglite);
  }

  async dumpSnapshot(): Promise<Blob> {
    return await this.pglite.dumpDataDir('none');
  }

  async close(): Promise<void> {
    try {
      if (!this.pglite.closed) await this.pglite.close();
    } finally {
      this.releaseLock();
    }
  }
}
