/**
 * Scratch PostgreSQL databases with N sessions, seeded in SQL (generate_series), for the scale
 * targets. The 1,000,000-session database is kept between runs (a comment on the database says
 * what was seeded and when) and reused while its seeded timestamps are still meaningful; a
 * 1,000-session one is made per run for the baseline figures.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { PROJECT_ROOT } from './server-process';
import { nowMs, serverUrl } from './support';

/** Bump when the seed's shape changes: an older database is then seeded again. */
const SEED_VERSION = 2;
/** Seeded times are relative to the seeding: endings must stay inside the 30-day retention. */
const REUSE_MAX_AGE_MS = 5 * 86_400_000;
const SESSIONS_PER_USER = 10;

export function databaseUrl(name: string): string {
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A deterministic v4-shaped UUID (the API validates UUIDs strictly) from a SQL text expression. */
function uid(textExpr: string): string {
  return `overlay(overlay(md5(${textExpr}) placing '4' from 13) placing '8' from 17)::uuid`;
}

/**
 * s = 1..N over N/10 users (10 sessions each, one device each). By s % 10: 0–2 active
 * (remember-me: long idle timeout, so the expiry sweeper leaves them alone), 3–6 revoked,
 * 7–9 expired. Endings lie 2 h to 20 days back, except one in 1,000 within the last 30 min
 * (the revocation view holds those). One refresh token per session.
 */
function seedSql(sessions: number): string[] {
  const users = Math.max(1, Math.floor(sessions / SESSIONS_PER_USER));
  return [
    `INSERT INTO users (id, email, email_normalized, roles, password_hash, password_changed_at, created_at, updated_at)
     SELECT ${uid("'seed-user-' || u")}, 'seed-' || u || '@bench.invalid', 'seed-' || u || '@bench.invalid',
            '{user}', 'seeded: cannot sign in', now() - interval '60 days', now() - interval '60 days', now()
       FROM generate_series(1, ${users}) u`,
    `INSERT INTO devices (id, user_id, client_device_id, name, platform, os, browser, first_seen_at, last_seen_at, last_ip)
     SELECT ${uid("'seed-device-' || u")}, ${uid("'seed-user-' || u")}, 'seed-' || u,
            (ARRAY['Firefox on Linux', 'Safari on iPhone', 'Chrome on Windows', 'Tessera app on Android'])[1 + u % 4],
            (ARRAY['desktop', 'mobile', 'desktop', 'mobile'])[1 + u % 4],
            (ARRAY['Linux', 'iOS', 'Windows', 'Android'])[1 + u % 4],
            (ARRAY['Firefox', 'Mobile Safari', 'Chrome', NULL])[1 + u % 4],
            now() - interval '60 days', now(), '10.1.' || (u % 250) || '.' || (u / 250 % 250)
       FROM generate_series(1, ${users}) u`,
    `INSERT INTO sessions (id, user_id, device_id, status, remember_me, created_at, last_active_at,
                           idle_timeout_seconds, idle_expires_at, idle_sweep_at, expires_at, ip,
                           user_agent, refresh_generation, ended_at, end_reason, auth_time)
     SELECT ${uid("'seed-session-' || s")}, ${uid("'seed-user-' || u")}, ${uid("'seed-device-' || u")},
            status, status = 'active', created, last_active,
            CASE WHEN status = 'active' THEN 2592000 ELSE 1800 END, idle_expires, idle_expires,
            created + interval '30 days',
            '10.0.' || ((s % 20000) / 250) || '.' || ((s % 20000) % 250),
            'Mozilla/5.0 (seed ' || (s % 40) || ')', s % 9, ended,
            CASE status WHEN 'revoked' THEN (ARRAY['logout', 'user', 'admin', 'limit_evicted', 'password_change'])[1 + s % 5]
                        WHEN 'expired' THEN (ARRAY['idle', 'absolute'])[1 + s % 2] END,
            created
       FROM (
         SELECT *, CASE WHEN status = 'active'
                        THEN least(last_active + interval '30 days', created + interval '30 days')
                        ELSE last_active + interval '30 minutes' END AS idle_expires
           FROM (
         SELECT s, u, status, created, ended,
                CASE WHEN ended IS NULL THEN now() - make_interval(secs => s % 600) ELSE ended - interval '1 minute' END AS last_active
           FROM (
             SELECT s, u, status, created,
                    CASE WHEN status = 'active' THEN NULL
                         WHEN s % 1000 = 5 THEN now() - make_interval(secs => s % 1800)
                         ELSE now() - interval '2 hours' - make_interval(mins => s % (18 * 24 * 60)) END AS ended
               FROM (
                 SELECT s, 1 + s % ${users} AS u,
                        CASE WHEN s % 10 < 3 THEN 'active' WHEN s % 10 < 7 THEN 'revoked' ELSE 'expired' END AS status,
                        CASE WHEN s % 10 < 3 THEN now() - make_interval(mins => s % (5 * 24 * 60))
                             ELSE now() - interval '21 days' - make_interval(mins => s % (8 * 24 * 60)) END AS created
                   FROM generate_series(1, ${sessions}) s
               ) base
           ) with_end
         ) with_activity
       ) seeded`,
    `INSERT INTO refresh_tokens (id, session_id, token_hash, generation, status, created_at, rotated_at)
     SELECT ${uid("'seed-refresh-' || s")}, ${uid("'seed-session-' || s")},
            md5('seed-refresh-a-' || s) || md5('seed-refresh-b-' || s), s % 9,
            CASE WHEN s % 10 < 3 THEN 'active' ELSE 'revoked' END, now() - interval '1 hour', NULL
       FROM generate_series(1, ${sessions}) s`,
  ];
}

/** Secondary indexes of the bulk-loaded tables: dropped for the load, rebuilt after (much faster). */
async function secondaryIndexes(client: Client): Promise<Array<{ name: string; def: string }>> {
  const result = await client.query<{ name: string; def: string }>(
    `SELECT i.indexname AS name, i.indexdef AS def
       FROM pg_indexes i
      WHERE i.schemaname = 'public' AND i.tablename IN ('sessions', 'refresh_tokens', 'devices')
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
  );
  return result.rows;
}

async function seed(client: Client, sessions: number): Promise<void> {
  await client.query(`SET maintenance_work_mem = '256MB'`);
  await client.query('SET synchronous_commit = off');
  // Rows are consistent by construction: skip the per-row foreign-key triggers.
  await client.query('SET session_replication_role = replica');
  const indexes = await secondaryIndexes(client);
  for (const index of indexes) await client.query(`DROP INDEX "${index.name}"`);
  for (const sql of seedSql(sessions)) await client.query(sql);
  for (const index of indexes) await client.query(index.def);
  await client.query('SET session_replication_role = DEFAULT');
  await client.query('ANALYZE users, devices, sessions, refresh_tokens');
}

function migrate(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(PROJECT_ROOT, 'dist', 'src', 'database', 'migrate.cli.js')],
      {
        cwd: PROJECT_ROOT,
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: url, LOG_LEVEL: 'warn' },
        timeout: 600_000,
      },
      (error, _stdout, stderr) =>
        error ? reject(new Error(`migrations failed: ${stderr || error.message}`)) : resolve(),
    );
  });
}

function seedNote(sessions: number): string {
  return `tessera-bench seed v${SEED_VERSION} sessions=${sessions} at=${new Date().toISOString()}`;
}

function reusable(note: string | null, sessions: number): boolean {
  const match = /^tessera-bench seed v(\d+) sessions=(\d+) at=(\S+)$/.exec(note ?? '');
  if (!match) return false;
  const ageMs = Date.now() - Date.parse(match[3]);
  return (
    Number(match[1]) === SEED_VERSION && Number(match[2]) === sessions && ageMs < REUSE_MAX_AGE_MS
  );
}

export interface SeededDatabase {
  name: string;
  url: string;
  sessions: number;
  /** Whether this run seeded it (false: reused from an earlier run). */
  seededNow: boolean;
  seedMs: number;
  drop(): Promise<void>;
}

/**
 * A migrated database with `sessions` seeded sessions. With `keep`, an earlier run's database of
 * the same name is reused when its seed is current, and it is not dropped afterwards.
 */
export async function seededDatabase(
  name: string,
  sessions: number,
  keep: boolean,
): Promise<SeededDatabase> {
  const admin = serverUrl();
  const url = databaseUrl(name);
  const drop = async (): Promise<void> => {
    await withClient(admin, (client) =>
      client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    );
  };
  const note = await withClient(admin, async (client) => {
    const result = await client.query<{ note: string | null }>(
      `SELECT shobj_description(oid, 'pg_database') AS note FROM pg_database WHERE datname = $1`,
      [name],
    );
    return result.rows.length > 0 ? result.rows[0].note : undefined;
  });
  const done = (seededNow: boolean, seedMs: number): SeededDatabase => ({
    name,
    url,
    sessions,
    seededNow,
    seedMs,
    drop: keep ? async () => undefined : drop,
  });
  if (keep && note !== undefined && reusable(note, sessions)) {
    await migrate(url); // a newer checkout may bring migrations; applied before any timing
    return done(false, 0);
  }
  const started = nowMs();
  await drop();
  await withClient(admin, (client) => client.query(`CREATE DATABASE ${name}`));
  await migrate(url);
  await withClient(url, (client) => seed(client, sessions));
  await withClient(admin, (client) =>
    client.query(`COMMENT ON DATABASE ${name} IS '${seedNote(sessions)}'`),
  );
  return done(true, nowMs() - started);
}

/** Sessions in the database now (exact count). */
export async function countSessions(url: string): Promise<number> {
  return withClient(url, async (client) => {
    const result = await client.query<{ n: string }>('SELECT count(*) AS n FROM sessions');
    return Number(result.rows[0].n);
  });
}

/** Mirrors SessionsRepository.listLiveForUser (the GET /sessions query), for EXPLAIN. */
const LIST_SQL = (select: string): string =>
  `SELECT ${select} FROM sessions s LEFT JOIN devices d ON d.id = s.device_id
    WHERE s.user_id = $1 AND s.status = 'active' AND s.expires_at > $2 AND s.idle_expires_at > $2
    ORDER BY s.last_active_at DESC, s.id LIMIT 200`;

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

function scans(node: PlanNode): string[] {
  const own =
    node['Node Type'].includes('Scan') && node['Relation Name']
      ? [
          `${node['Node Type']} on ${node['Relation Name']}${node['Index Name'] ? ` (${node['Index Name']})` : ''}`,
        ]
      : [];
  return [...own, ...(node.Plans ?? []).flatMap(scans)];
}

export interface PlanFigures {
  /** Median server-side execution time, ms. */
  executionMs: number;
  scans: string[];
}

/**
 * The list query's plan and median execution time (EXPLAIN ANALYZE, server side): a scale
 * figure that the machine's CPU noise barely moves, beside the HTTP figures that it does.
 */
export async function listQueryPlan(
  url: string,
  select: string,
  userId: string,
  runs = 15,
): Promise<PlanFigures> {
  return withClient(url, async (client) => {
    const times: number[] = [];
    let found: string[] = [];
    for (let i = 0; i < runs; i += 1) {
      const result = await client.query<{
        'QUERY PLAN': Array<{ Plan: PlanNode; 'Execution Time': number }>;
      }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${LIST_SQL(select)}`, [userId, new Date()]);
      const [explained] = result.rows[0]['QUERY PLAN'];
      times.push(explained['Execution Time']);
      found = scans(explained.Plan);
    }
    times.sort((a, b) => a - b);
    return { executionMs: times[Math.floor(times.length / 2)], scans: found };
  });
}
