/**
 * Session storage at scale: 100,000 sessions of ~10,000 users (active, revoked, expired; some
 * ended in the last 15 minutes so the revocation view has entries), in a migrated database.
 * Measures listing one user's sessions (HTTP and service), rebuilding the revocation view, the
 * list query's plan, and the admin session search. Prints figures; asserts nothing.
 *
 *   npm run bench:sessions                     PostgreSQL (DATABASE_URL or local) and PGlite
 *   node dist/bench/sessions.bench.js postgresql
 */
import { getDataSourceToken } from '@nestjs/typeorm';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { SessionSearchService } from '../src/sessions/session-search.service';
import { RevocationView } from '../src/sessions/revocation-view.service';
import { SESSION_ROW_SELECT } from '../src/sessions/session-views';
import { SessionsService } from '../src/sessions/sessions.service';
import {
  type BenchTarget,
  describeStats,
  emitSummary,
  fmt,
  HttpClient,
  machineNote,
  nowMs,
  pgliteTarget,
  postgresTarget,
  registerAndLogin,
  sample,
  type SignedIn,
  startApp,
  stats,
  withDeadline,
  BENCH_PASSWORD,
} from './support';

const SESSIONS = 100_000;
const USERS = 10_000;
/** One address shared by 1 % of all sessions (a NAT or an attacker): a long ip-filtered list. */
const HOT_IP = '203.0.113.7';

/**
 * A deterministic, well-formed (version 4, RFC variant) UUID from a SQL text expression: the
 * API validates UUIDs strictly, and deterministic ids let later statements refer to seeded
 * rows without lookups.
 */
function uid(textExpr: string): string {
  return `overlay(overlay(md5(${textExpr}) placing '4' from 13) placing '8' from 17)::uuid`;
}

/**
 * ~10 sessions per user, one device each. Statuses by s % 20: 0–5 active (live: last activity within 25 min, idle timeout 30 min),
 * 6–13 revoked, 14–19 expired. Two in 50 (4 %) ended within the last 14 minutes.
 */
const SEED_SQL = [
  `INSERT INTO users (id, email, email_normalized, roles, password_hash, password_changed_at)
   SELECT ${uid("'bench-user-' || u")}, 'seed-' || u || '@bench.invalid', 'seed-' || u || '@bench.invalid',
          '{user}', 'seeded: cannot sign in', now()
     FROM generate_series(1, ${USERS}) u`,
  `INSERT INTO devices (id, user_id, client_device_id, name, platform, os, browser, first_seen_at, last_seen_at)
   SELECT ${uid("'bench-device-' || u")}, ${uid("'bench-user-' || u")}, 'bench-' || u,
          (ARRAY['Firefox on Linux', 'Safari on iPhone', 'Chrome on Windows', 'Tessera app on Android'])[1 + u % 4],
          (ARRAY['desktop', 'mobile', 'desktop', 'mobile'])[1 + u % 4],
          (ARRAY['Linux', 'iOS', 'Windows', 'Android'])[1 + u % 4],
          (ARRAY['Firefox', 'Mobile Safari', 'Chrome', NULL])[1 + u % 4],
          now() - interval '60 days', now()
     FROM generate_series(1, ${USERS}) u`,
  `INSERT INTO sessions (id, user_id, device_id, status, remember_me, created_at, last_active_at,
                         idle_timeout_seconds, idle_expires_at, idle_sweep_at, expires_at, ip, user_agent,
                         refresh_generation, ended_at, end_reason, auth_time)
   SELECT ${uid("'bench-session-' || s")}, ${uid("'bench-user-' || u")}, ${uid("'bench-device-' || u")},
          status, s % 7 = 0, created, last_active, 1800, last_active + interval '30 minutes',
          last_active + interval '30 minutes',
          created + interval '30 days', ip, 'Mozilla/5.0 (bench ' || (s % 40) || ')', s % 9, ended,
          CASE status WHEN 'revoked' THEN (ARRAY['logout', 'user', 'admin', 'limit_evicted', 'password_change'])[1 + s % 5]
                      WHEN 'expired' THEN (ARRAY['idle', 'absolute'])[1 + s % 2] END,
          created
     FROM (
       SELECT s, u, created, status, ip, ended,
              CASE WHEN ended IS NULL THEN greatest(created, now() - make_interval(mins => s % 25)) ELSE ended END AS last_active
         FROM (
           SELECT s, u, created, status, ip,
                  CASE WHEN status = 'active' THEN NULL
                       WHEN s % 50 = 7 OR s % 50 = 17 THEN greatest(created, now() - make_interval(secs => s % 840))
                       ELSE created + (now() - created) * ((s % 97) / 100.0) END AS ended
             FROM (
               SELECT s, 1 + s % ${USERS} AS u,
                      now() - make_interval(mins => (s * 7919) % (29 * 24 * 60)) AS created,
                      CASE WHEN s % 20 < 6 THEN 'active' WHEN s % 20 < 14 THEN 'revoked' ELSE 'expired' END AS status,
                      CASE WHEN s % 100 = 0 THEN '${HOT_IP}'
                           ELSE '10.0.' || ((s % 20000) / 250) || '.' || ((s % 20000) % 250) END AS ip
                 FROM generate_series(1, ${SESSIONS}) s
             ) base
         ) with_end
     ) seeded`,
];

/** The bench user's history among the 100k: ended sessions the list query must skip. */
const HISTORY_SQL = `
  INSERT INTO sessions (user_id, status, created_at, last_active_at, idle_timeout_seconds, idle_expires_at,
                        idle_sweep_at, expires_at, ip, user_agent, ended_at, end_reason, auth_time)
  SELECT $1::uuid, CASE WHEN h % 2 = 0 THEN 'revoked' ELSE 'expired' END,
         now() - make_interval(days => h % 28, mins => h), now() - make_interval(days => h % 28),
         1800, now() - make_interval(days => h % 28) + interval '30 minutes',
         now() - make_interval(days => h % 28) + interval '30 minutes',
         now() - make_interval(days => h % 28) + interval '30 days', '192.0.2.' || h, 'Mozilla/5.0 (history)',
         now() - make_interval(days => h % 28), CASE WHEN h % 2 = 0 THEN 'logout' ELSE 'idle' END,
         now() - make_interval(days => h % 28, mins => h)
    FROM generate_series(1, 45) h`;

/** Mirrors SessionsService.listForUser's query, for EXPLAIN. */
const LIST_SQL = `SELECT ${SESSION_ROW_SELECT} FROM sessions s LEFT JOIN devices d ON d.id = s.device_id
  WHERE s.user_id = $1 AND s.status = 'active' AND s.expires_at > $2 AND s.idle_expires_at > $2
  ORDER BY s.last_active_at DESC, s.id LIMIT 200`;

interface SearchCase {
  label: string;
  query: Record<string, string>;
  /** Pages to follow (by cursor) before the measured page: a deep page. */
  depth?: number;
}

function searchCases(seedUserId: string): SearchCase[] {
  const day = 86_400_000;
  const from = new Date(Date.now() - 10 * day).toISOString();
  const to = new Date(Date.now() - 9 * day).toISOString();
  return [
    { label: 'no filter, first page', query: {} },
    { label: 'userId', query: { userId: seedUserId } },
    { label: 'status=active', query: { status: 'active' } },
    { label: 'status=revoked', query: { status: 'revoked' } },
    { label: `ip=${HOT_IP}`, query: { ip: HOT_IP } },
    { label: 'from/to (one day)', query: { from, to } },
    { label: 'status=expired + from/to', query: { status: 'expired', from, to } },
    { label: 'no filter, page 40 (cursor)', query: {}, depth: 39 },
    { label: 'status=revoked, page 40 (cursor)', query: { status: 'revoked' }, depth: 39 },
  ];
}

function toFilter(
  query: Record<string, string>,
): Parameters<SessionSearchService['searchSessions']>[0] {
  return {
    userId: query.userId,
    status: query.status as 'active' | 'revoked' | 'expired' | undefined,
    ip: query.ip,
    from: query.from ? new Date(query.from) : undefined,
    to: query.to ? new Date(query.to) : undefined,
  };
}

/**
 * On the server the seed goes through its own connection: the app's pool has a 15 s query
 * timeout, which one 100k-row statement can pass on a loaded machine.
 */
async function seed(target: BenchTarget, dataSource: DataSource): Promise<void> {
  const url = target.config.databaseUrl;
  if (!url) {
    for (const sql of SEED_SQL) await dataSource.query(sql);
    return;
  }
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (const sql of SEED_SQL) await client.query(sql);
  } finally {
    await client.end();
  }
}

interface EngineResult {
  figures: Record<string, string | number | null>;
}

async function benchEngine(target: BenchTarget): Promise<EngineResult> {
  const figures: Record<string, string | number | null> = {};
  const tag = target.engine;
  const bootStart = nowMs();
  const app = await withDeadline('boot', 120_000, startApp(target));
  const http = new HttpClient(app.baseUrl, 4);
  try {
    console.log(`\n== ${tag}: booted and migrated in ${fmt(nowMs() - bootStart)}`);
    const dataSource = app.app.get<DataSource>(getDataSourceToken());

    // The bench user: a real account with 5 live sessions among the 100k (plus 45 ended ones).
    const email = `bench.${process.pid}@example.com`;
    const me: SignedIn = await registerAndLogin(http, email);
    for (let i = 0; i < 4; i += 1) {
      await http.json('POST', '/auth/login', 200, { body: { email, password: BENCH_PASSWORD } });
    }

    const seedStart = nowMs();
    await withDeadline('seed', 180_000, seed(target, dataSource));
    await dataSource.query(HISTORY_SQL, [me.user.id]);
    await dataSource.query('ANALYZE users');
    await dataSource.query('ANALYZE devices');
    await dataSource.query('ANALYZE sessions');
    const counts: Array<{ status: string; n: string }> = await dataSource.query(
      'SELECT status, count(*) AS n FROM sessions GROUP BY status ORDER BY status',
    );
    const total = counts.reduce((sum, row) => sum + Number(row.n), 0);
    console.log(
      `seeded ${total} sessions of ${USERS + 1} users in ${fmt(nowMs() - seedStart)} ` +
        `(${counts.map((row) => `${row.status} ${row.n}`).join(', ')})`,
    );
    figures[`${tag}.sessions`] = total;

    // Listing one user's sessions.
    const viaHttp = await sample(300, 30, () =>
      http.json('GET', '/sessions', 200, { token: me.accessToken }),
    );
    const sessions = app.app.get(SessionsService);
    const viaService = await sample(1000, 50, () =>
      sessions.listForUser(me.user.id, me.session.id),
    );
    const listed = (await sessions.listForUser(me.user.id)).length;
    console.log(`GET /sessions (HTTP, ${listed} items):      ${describeStats(viaHttp)}`);
    console.log(`SessionsService.listForUser:           ${describeStats(viaService)}`);
    figures[`${tag}.list.http.p50`] = fmt(viaHttp.p50);
    figures[`${tag}.list.http.p95`] = fmt(viaHttp.p95);
    figures[`${tag}.list.service.p50`] = fmt(viaService.p50);
    figures[`${tag}.list.service.p95`] = fmt(viaService.p95);

    // The list query's plan.
    const plan: Array<{ 'QUERY PLAN': string }> = await dataSource.query(
      `EXPLAIN (ANALYZE, BUFFERS) ${LIST_SQL}`,
      [me.user.id, new Date()],
    );
    const planText = plan.map((row) => row['QUERY PLAN']).join('\n');
    console.log(`EXPLAIN ANALYZE of the list query:\n${planText.replace(/^/gm, '    ')}`);
    const scan = /(Index Only Scan|Index Scan|Bitmap Index Scan)[^\n]*? on (\w+)/.exec(planText);
    const seqScan = /Seq Scan on sessions/.test(planText);
    figures[`${tag}.list.plan`] = scan
      ? `${scan[1]} using ${scan[2]}${seqScan ? ' (+ seq scan!)' : ''}`
      : 'NO index scan';

    // Rebuilding the revocation view (at start and after a lost bus connection).
    const view = app.app.get(RevocationView);
    let entries = 0;
    const reload = await sample(10, 2, async () => {
      entries = await view.reload();
    });
    console.log(
      `RevocationView.reload(): ${entries} entries (view size ${view.size}); ${describeStats(reload)}`,
    );
    figures[`${tag}.revocationView.entries`] = entries;
    figures[`${tag}.revocationView.reload.p50`] = fmt(reload.p50);

    // The embedded engine is slower: fewer samples keep the whole run within a few minutes.
    const samples = target.engine === 'pglite' ? 50 : 100;
    await benchAdminSearch(
      app.app.get(SessionSearchService),
      http,
      dataSource,
      tag,
      figures,
      samples,
    );
  } finally {
    http.close();
    await app.close();
    await target.drop();
  }
  return { figures };
}

async function benchAdminSearch(
  search: SessionSearchService,
  http: HttpClient,
  dataSource: DataSource,
  tag: string,
  figures: Record<string, string | number | null>,
  samples: number,
): Promise<void> {
  // An administrator: a user granted the role in SQL, then signed in again for a token with it.
  const email = `bench.admin.${process.pid}@example.com`;
  const first = await registerAndLogin(http, email);
  await dataSource.query(`UPDATE users SET roles = '{user,admin}' WHERE id = $1`, [first.user.id]);
  const admin = await http.json<SignedIn>('POST', '/auth/login', 200, {
    body: { email, password: BENCH_PASSWORD },
  });
  const probe = await http.send('GET', '/admin/sessions?limit=1', { token: admin.accessToken });
  const overHttp = probe.status === 200;
  console.log(
    overHttp
      ? 'admin session search (GET /admin/sessions, limit 50; HTTP and service):'
      : `admin session search: GET /admin/sessions answered ${probe.status} (route not there yet?); ` +
          'measuring SessionSearchService.searchSessions only (limit 50):',
  );

  const seedUserId = (
    await dataSource.query<Array<{ id: string }>>(`SELECT ${uid("'bench-user-' || 42")} AS id`)
  )[0].id;
  const httpP95: number[] = [];
  const serviceP95: number[] = [];
  for (const testCase of searchCases(seedUserId)) {
    // Follow the cursor to the measured page.
    let cursor: string | undefined;
    for (let page = 0; page < (testCase.depth ?? 0); page += 1) {
      const result = await search.searchSessions(toFilter(testCase.query), { limit: 50, cursor });
      cursor = result.nextCursor ?? undefined;
      if (!cursor) break;
    }
    const measured = await search.searchSessions(toFilter(testCase.query), { limit: 50, cursor });
    const service = await sample(samples, 10, () =>
      search.searchSessions(toFilter(testCase.query), { limit: 50, cursor }),
    );
    serviceP95.push(service.p95);
    let line = `  ${testCase.label.padEnd(34)} ${String(measured.items.length).padStart(2)} rows  service p50 ${fmt(service.p50)} p95 ${fmt(service.p95)}`;
    if (overHttp) {
      const params = new URLSearchParams({
        limit: '50',
        ...testCase.query,
        ...(cursor ? { cursor } : {}),
      });
      const viaHttp = await sample(samples, 10, () =>
        http.json('GET', `/admin/sessions?${params.toString()}`, 200, { token: admin.accessToken }),
      );
      httpP95.push(viaHttp.p95);
      line += `  | HTTP p50 ${fmt(viaHttp.p50)} p95 ${fmt(viaHttp.p95)}`;
    }
    console.log(line);
  }
  const worst = (values: number[]): number => stats(values).max;
  figures[`${tag}.adminSearch.service.worstP95`] = fmt(worst(serviceP95));
  figures[`${tag}.adminSearch.http.worstP95`] = overHttp
    ? fmt(worst(httpP95))
    : 'route not available';
  console.log(
    `  worst p95 across filters: service ${fmt(worst(serviceP95))}` +
      (overHttp ? `, HTTP ${fmt(worst(httpP95))}` : '') +
      ' (target < 50 ms)',
  );
}

export async function main(
  engines: ReadonlyArray<'postgresql' | 'pglite'>,
): Promise<Record<string, string | number | null>> {
  console.log(`sessions benchmark: ${SESSIONS} sessions, ${USERS} users\n${machineNote()}`);
  const figures: Record<string, string | number | null> = {};
  for (const engine of engines) {
    const started = nowMs();
    try {
      const target = engine === 'postgresql' ? await postgresTarget() : pgliteTarget();
      Object.assign(figures, (await benchEngine(target)).figures);
    } catch (error) {
      // One engine failing (e.g. no PostgreSQL server here) must not hide the other's figures.
      const message = error instanceof Error ? error.message : String(error);
      console.log(`${engine}: FAILED: ${message}`);
      figures[`${engine}.error`] = message.slice(0, 200);
    }
    console.log(`(${engine} took ${fmt(nowMs() - started)})`);
  }
  return figures;
}

if (require.main === module) {
  const requested = process.argv
    .slice(2)
    .filter((arg): arg is 'postgresql' | 'pglite' => arg === 'postgresql' || arg === 'pglite');
  main(requested.length > 0 ? requested : ['postgresql', 'pglite']).then(
    (figures) => {
      emitSummary('sessions', figures);
      process.exit(Object.keys(figures).some((key) => key.endsWith('.error')) ? 1 : 0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
