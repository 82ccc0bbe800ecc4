import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres';
import { createScratchDatabase } from './test-database';

/** The database of servers a crash test spawns and kills: a scratch database, or a PGlite directory. */
export interface CrashTarget {
  /** What the spawned servers need to find it. */
  env: Record<string, string>;
  /** True on a PostgreSQL server, where it can be read while the servers run. */
  live: boolean;
  /** Runs SQL; with PGlite only while no server process holds the directory. */
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  cleanup(): Promise<void>;
}

/** A scratch database on `server` when one is given, else a fresh PGlite directory. */
export async function openCrashTarget(
  server: string | undefined,
  dirPrefix: string,
): Promise<CrashTarget> {
  if (server) {
    const scratch = await createScratchDatabase(server);
    return {
      env: { DATABASE_URL: scratch.url },
      live: true,
      query: async <T>(sql: string, params: unknown[] = []) => {
        const client = new Client({ connectionString: scratch.url });
        await client.connect();
        try {
          return (await client.query(sql, params)).rows as T[];
        } finally {
          await client.end();
        }
      },
      cleanup: () => scratch.drop(),
    };
  }
  const dataDir = mkdtempSync(join(tmpdir(), dirPrefix));
  return {
    env: { DATA_DIR: dataDir },
    live: false,
    query: async <T>(sql: string, params: unknown[] = []) => {
      const db = await EmbeddedPostgres.open({ kind: 'directory', dataDir });
      try {
        return (await db.pglite.query(sql, params)).rows as T[];
      } finally {
        await db.close();
      }
    },
    cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** A JSON request to a spawned server (plain fetch: it may be killed mid-request). */
export async function callJson(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  authorization?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      'Content-Type': 'application/json',
      ...(authorization ? { Authorization: authorization } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
