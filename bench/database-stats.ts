/**
 * What PostgreSQL did during a scenario: WAL written, checkpoints, and how many row updates of
 * the session tables were HOT (no index entry written). Read before and after a scenario run
 * while only that scenario's server is loaded, so the cluster-wide figures are its own.
 */
import { Client } from 'pg';

const TABLES = ['sessions', 'refresh_tokens'] as const;
type Table = (typeof TABLES)[number];

export interface DatabaseStats {
  walBytes: number;
  checkpoints: number;
  updates: Record<Table, { all: number; hot: number }>;
}

/** Table statistics reach the shared view up to a second after a backend's transaction. */
const STATS_FLUSH_MS = 1100;

async function readDatabaseStats(url: string): Promise<DatabaseStats> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const wal = await client.query<{ lsn: string; checkpoints: string }>(
      `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS lsn,
              (checkpoints_timed + checkpoints_req)::text AS checkpoints
         FROM pg_stat_bgwriter`,
    );
    const tables = await client.query<{ relname: Table; upd: string; hot: string }>(
      `SELECT relname, n_tup_upd::text AS upd, n_tup_hot_upd::text AS hot
         FROM pg_stat_user_tables WHERE relname = ANY($1)`,
      [TABLES],
    );
    const updates = Object.fromEntries(
      TABLES.map((table) => {
        const row = tables.rows.find((candidate) => candidate.relname === table);
        return [table, { all: Number(row?.upd ?? 0), hot: Number(row?.hot ?? 0) }];
      }),
    ) as DatabaseStats['updates'];
    return {
      walBytes: Number(wal.rows[0].lsn),
      checkpoints: Number(wal.rows[0].checkpoints),
      updates,
    };
  } finally {
    await client.end();
  }
}

/** Stats after a run, once the backends' table counters have been flushed. */
export async function readSettledDatabaseStats(url: string): Promise<DatabaseStats> {
  await new Promise((resolve) => setTimeout(resolve, STATS_FLUSH_MS));
  return readDatabaseStats(url);
}

/** "WAL 3.1 KB/req, HOT sessions 98 %, refresh_tokens 40 %, 0 checkpoints" for a run of n requests. */
export function describeDatabaseWork(
  before: DatabaseStats,
  after: DatabaseStats,
  requests: number,
): string {
  const hot = (table: Table): string => {
    const all = after.updates[table].all - before.updates[table].all;
    const hotUpdates = after.updates[table].hot - before.updates[table].hot;
    return all > 0 ? `${Math.round((100 * hotUpdates) / all)} % of ${all}` : 'no updates';
  };
  const walPerRequest = (after.walBytes - before.walBytes) / Math.max(1, requests) / 1024;
  return (
    `WAL ${walPerRequest.toFixed(1)} KB/req, HOT updates: sessions ${hot('sessions')}, ` +
    `refresh_tokens ${hot('refresh_tokens')}; ${after.checkpoints - before.checkpoints} checkpoint(s)`
  );
}
