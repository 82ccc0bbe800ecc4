import { Client } from 'pg';
import { callJson as call, type CrashTarget, openCrashTarget } from './support/crash-target';
import { spawnInstance, type Instance } from './support/spawn-instance';
import { serverUrl } from './support/test-database';

const DEFAULT_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';
const PASSWORD = 'correct horse battery staple';
const BOOT_TIMEOUT_MS = 120_000;

async function reachable(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A PostgreSQL server when one answers (unless TESSERA_CRASH_EMBEDDED=1), else PGlite. */
async function crashServer(): Promise<string | undefined> {
  const server = serverUrl() ?? DEFAULT_SERVER;
  if (process.env.TESSERA_CRASH_EMBEDDED === '1') return undefined;
  return (await reachable(server)) ? server : undefined;
}

interface Tokens {
  accessToken: string;
  refreshToken: string;
  session: { id: string };
}

/** One client hammering its account: log in, refresh, revoke, until the server dies. */
async function burst(
  base: string,
  email: string,
  stop: { now: boolean; operations: number },
): Promise<number> {
  let operations = 0;
  const sessions: Tokens[] = [];
  try {
    while (!stop.now) {
      const deviceId = `device-${operations % 3}-xyz`;
      const login = await call(base, 'POST', '/auth/login', {
        email,
        password: PASSWORD,
        device: { id: deviceId },
      });
      if (login.status !== 200) break;
      const tokens = login.body as unknown as Tokens;
      sessions.push(tokens);
      // Sessions are bound to their device id: the refresh sends it.
      const refreshed = await call(base, 'POST', '/auth/refresh', {
        refreshToken: tokens.refreshToken,
        deviceId,
      });
      if (refreshed.status === 200)
        sessions[sessions.length - 1] = refreshed.body as unknown as Tokens;
      if (sessions.length >= 3) {
        const [oldest] = sessions.splice(0, 1);
        const current = sessions[sessions.length - 1];
        await call(
          base,
          'DELETE',
          `/sessions/${oldest.session.id}`,
          undefined,
          `Bearer ${current.accessToken}`,
        );
      }
      operations += 3;
      stop.operations += 3;
    }
  } catch {
    // the server was killed mid-request
  }
  return operations;
}

describe('crash safety: SIGKILL in the middle of a burst', () => {
  let target: CrashTarget;
  const instances: Instance[] = [];

  beforeAll(async () => {
    target = await openCrashTarget(await crashServer(), 'tessera-crash-');
  });
  afterAll(async () => {
    for (const instance of instances) await instance.stop();
    await target.cleanup();
  });

  it(
    'keeps every committed session change in the audit log exactly once, and the chain verifies',
    async () => {
      // A fresh PGlite directory migrates at first boot: over a minute on a loaded machine.
      const first = await spawnInstance({
        env: { ...target.env, LOG_LEVEL: 'warn' },
        readyTimeoutMs: BOOT_TIMEOUT_MS,
      });
      instances.push(first);
      const emails = Array.from(
        { length: 6 },
        (_, i) => `crash.${process.pid}.${i}.${Date.now()}@example.com`,
      );
      const adminEmail = `crash-admin.${process.pid}.${Date.now()}@example.com`;
      for (const email of [...emails, adminEmail]) {
        expect(
          (await call(first.baseUrl, 'POST', '/auth/register', { email, password: PASSWORD }))
            .status,
        ).toBe(201);
      }
      // Signed in before the crash, promoted after it (the roles guard reads the role per
      // request): the restarted server then records no events but the crash's leftovers.
      const admin = (
        await call(first.baseUrl, 'POST', '/auth/login', { email: adminEmail, password: PASSWORD })
      ).body as unknown as Tokens;

      const stop = { now: false, operations: 0 };
      const workers = emails.map((email) => burst(first.baseUrl, email, stop));
      // Kill once the burst is well under way (machine speed varies), at most after 10 s.
      const killBy = Date.now() + 10_000;
      while (stop.operations < 45 && Date.now() < killBy)
        await new Promise((r) => setTimeout(r, 20));
      await first.kill();
      stop.now = true;
      const operations = (await Promise.all(workers)).reduce((a, b) => a + b, 0);
      expect(operations).toBeGreaterThan(20);

      await target.query(`UPDATE users SET roles = '{user,admin}' WHERE email = $1`, [adminEmail]);
      // No lease is expired by hand: the dead process's claims must not hold the restart up.
      // Some leftovers may have reached the audit log before the kill, but not `published_at`.
      const [{ pending, held, unaudited, recorded }] = await target.query<{
        pending: number;
        held: number;
        unaudited: number;
        recorded: number;
      }>(
        `SELECT count(*)::int AS pending,
              count(*) FILTER (WHERE o.claimed_until > now())::int AS held,
              count(*) FILTER (WHERE NOT EXISTS (
                SELECT 1 FROM audit_records a WHERE a.event_id = o.id))::int AS unaudited,
              (SELECT count(*)::int FROM audit_records) AS recorded
         FROM outbox_events o WHERE o.published_at IS NULL`,
      );

      // This suite is about outbox recovery; the admin signs in with a password only.
      const restartedAt = Date.now();
      const second = await spawnInstance({
        env: { ...target.env, LOG_LEVEL: 'warn', ADMIN_REQUIRE_MFA: 'false' },
        readyTimeoutMs: BOOT_TIMEOUT_MS,
      });
      instances.push(second);
      const readyMs = Date.now() - restartedAt;
      // Wait for the restarted relay to deliver what the crash left behind, noting when the audit
      // log reached which size (the final size is known once the server has stopped).
      const samples: Array<{ ms: number; checked: number }> = [];
      const deadline = Date.now() + 20_000;
      for (;;) {
        const verify = await call(
          second.baseUrl,
          'GET',
          '/admin/audit/verify',
          undefined,
          `Bearer ${admin.accessToken}`,
        );
        expect(verify.body.ok).toBe(true);
        const checked = verify.body.checked as number;
        samples.push({ ms: Date.now() - restartedAt, checked });
        // Each committed event adds exactly one audit record (checked below), and the restarted
        // server records nothing new, so this count means the leftovers were all delivered.
        const drained = checked >= recorded + unaudited;
        if (drained) break;
        if (Date.now() > deadline)
          throw new Error(
            `the outbox was not drained after restart: ${checked} of ${recorded + unaudited} records`,
          );
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await second.stop();

      const missing = await target.query<{ id: string; type: string }>(
        `SELECT o.id, o.type FROM outbox_events o LEFT JOIN audit_records a ON a.event_id = o.id WHERE a.event_id IS NULL`,
      );
      expect(missing).toEqual([]);
      const twice = await target.query(
        `SELECT event_id FROM audit_records GROUP BY event_id HAVING count(*) > 1`,
      );
      expect(twice).toEqual([]);
      // Tie the log to the state itself: every session, revocation and rotation that committed.
      const sessionsWithoutCreated = await target.query(
        `SELECT s.id FROM sessions s WHERE NOT EXISTS (
         SELECT 1 FROM audit_records a WHERE a.session_id = s.id AND a.type = 'session.created')`,
      );
      expect(sessionsWithoutCreated).toEqual([]);
      const revokedWithoutRecord = await target.query(
        `SELECT s.id FROM sessions s WHERE s.status = 'revoked' AND NOT EXISTS (
         SELECT 1 FROM audit_records a WHERE a.session_id = s.id AND a.type = 'session.revoked')`,
      );
      expect(revokedWithoutRecord).toEqual([]);
      const refreshMismatch = await target.query(
        `SELECT s.id FROM sessions s WHERE s.refresh_generation <> (
         SELECT count(*) FROM audit_records a WHERE a.session_id = s.id AND a.type = 'session.refreshed')`,
      );
      expect(refreshMismatch).toEqual([]);
      const [counts] = await target.query<{ sessions: number; records: number }>(
        `SELECT (SELECT count(*)::int FROM sessions) AS sessions, (SELECT count(*)::int FROM audit_records) AS records`,
      );
      const deliveredMs = samples.find((sample) => sample.checked >= counts.records)?.ms;
      process.stdout.write(
        `crash: ${operations} operations before SIGKILL, ${pending} events left unpublished ` +
          `(${unaudited} not yet audited) ` +
          `(${held} under the dead process's lease), ${counts.sessions} sessions, ` +
          `${counts.records} audit records after restart; restart ready after ${readyMs} ms, ` +
          `all delivered ${deliveredMs} ms after the restart began\n`,
      );
      expect(deliveredMs).toBeDefined();
      // From the moment the restarted server is up: its boot time depends on the machine's load,
      // not on the outbox (the old 30 s lease made this wait ~30 s).
      expect((deliveredMs ?? Infinity) - readyMs).toBeLessThanOrEqual(5000);
    },
    4 * BOOT_TIMEOUT_MS,
  );

  it("hands a killed instance's claims to a running one within 5 s, without a restart", async () => {
    // Two processes on one PGlite directory are refused (lock file): this needs a server.
    if (!target.live) {
      process.stdout.write('crash: two-instance takeover skipped (embedded database)\n');
      return;
    }
    const known = (await target.query<{ id: string }>(`SELECT id FROM outbox_relay_instances`)).map(
      (row) => row.id,
    );
    const a = await spawnInstance({ env: { ...target.env, LOG_LEVEL: 'warn' } });
    instances.push(a);
    const [{ id: aId }] = await target.query<{ id: string }>(
      `SELECT id FROM outbox_relay_instances WHERE id <> ALL($1::uuid[])`,
      [known],
    );
    const b = await spawnInstance({ env: { ...target.env, LOG_LEVEL: 'warn' } });
    instances.push(b);
    const emails = Array.from(
      { length: 6 },
      (_, i) => `takeover.${process.pid}.${i}.${Date.now()}@example.com`,
    );
    for (const email of emails) {
      expect(
        (await call(a.baseUrl, 'POST', '/auth/register', { email, password: PASSWORD })).status,
      ).toBe(201);
    }

    // Kill A while it holds claims it has not published yet (its relay is mid-batch).
    const watcher = new Client({ connectionString: target.env.DATABASE_URL });
    await watcher.connect();
    const heldByA = async (): Promise<string[]> =>
      (
        await watcher.query<{ id: string }>(
          `SELECT id FROM outbox_events
            WHERE claimed_by = $1 AND published_at IS NULL AND claimed_until > now()`,
          [aId],
        )
      ).rows.map((row) => row.id);
    const stop = { now: false, operations: 0 };
    const workers = emails.map((email) => burst(a.baseUrl, email, stop));
    const killBy = Date.now() + 20_000;
    try {
      while (Date.now() < killBy && (stop.operations < 30 || (await heldByA()).length === 0)) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await a.kill();
      const killedAt = Date.now();
      stop.now = true;
      // Read at once: B may take them over as soon as A's heartbeat is 3 s old.
      const orphaned = await heldByA();
      await Promise.all(workers);
      expect(orphaned.length).toBeGreaterThan(0);

      let deliveredMs = -1;
      while (deliveredMs < 0) {
        const { rows } = await watcher.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM outbox_events o
            WHERE o.published_at IS NULL
               OR NOT EXISTS (SELECT 1 FROM audit_records r WHERE r.event_id = o.id)`,
        );
        if (rows[0].n === 0) deliveredMs = Date.now() - killedAt;
        else if (Date.now() - killedAt > 20_000)
          throw new Error(`${rows[0].n} events still undelivered 20 s after the kill`);
        else await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const { rows: twice } = await watcher.query(
        `SELECT event_id FROM audit_records GROUP BY event_id HAVING count(*) > 1`,
      );
      expect(twice).toEqual([]);
      process.stdout.write(
        `crash: A killed holding ${orphaned.length} claimed events (lease ~30 s); ` +
          `B delivered everything ${deliveredMs} ms after the kill\n`,
      );
      expect(deliveredMs).toBeLessThanOrEqual(5000);
    } finally {
      stop.now = true;
      await watcher.end();
      await b.stop();
    }
  }, 90_000);
});
