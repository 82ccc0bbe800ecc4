import { callJson as call, type CrashTarget, openCrashTarget } from './support/crash-target';
import { runToExit, spawnInstance, type Instance } from './support/spawn-instance';
import { SsfReceiver, verifySet } from './support/ssf-receiver';
import { serverUrl } from './support/test-database';

const PASSWORD = 'correct horse battery staple';
const BOOT_TIMEOUT_MS = 120_000;
const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';

async function expectStatus(
  promise: Promise<{ status: number; body: Record<string, unknown> }>,
  status: number,
): Promise<Record<string, unknown>> {
  const res = await promise;
  if (res.status !== status)
    throw new Error(`expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Signs a fresh user in and out on `base`; resolves once the logout has committed (204). */
async function loginAndLogout(base: string, email: string): Promise<string> {
  await expectStatus(call(base, 'POST', '/auth/register', { email, password: PASSWORD }), 201);
  const login = await expectStatus(
    call(base, 'POST', '/auth/login', { email, password: PASSWORD }),
    200,
  );
  await expectStatus(
    call(base, 'POST', '/auth/logout', undefined, `Bearer ${String(login.accessToken)}`),
    204,
  );
  return (login.session as { id: string }).id;
}

/**
 * Exactly-once push across a crash (SIGKILL), with real processes. A SET whose lifecycle event
 * committed before the crash is pushed after the restart, once; a crash while the receiver holds
 * the push open (before it answers) re-sends the identical SET (same jti) and nothing else. The
 * receiver counts raw POSTs. One server at a time, so it runs on PGlite as well as PostgreSQL.
 */
describe('Shared Signals push across a server crash', () => {
  let target: CrashTarget;
  const receiver = new SsfReceiver();
  const instances: Instance[] = [];

  beforeAll(async () => {
    target = await openCrashTarget(serverUrl(), 'tessera-ssf-crash-');
  });
  afterAll(async () => {
    for (const instance of instances) await instance.stop();
    await receiver.stop();
    await target.cleanup();
  });

  it(
    'delivers a SET committed before a SIGKILL exactly once after restart; a push cut off mid-request is re-sent with the same jti',
    async () => {
      const env = {
        ...target.env,
        LOG_LEVEL: 'warn',
        ADMIN_REQUIRE_MFA: 'false',
        WEBHOOK_ALLOW_HTTP: 'true',
        WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
        SSF_RETRY_BASE: '200ms',
      };
      const adminEmail = `ssf-admin.${process.pid}.${Date.now()}@example.com`;
      const created = await runToExit({
        args: ['admin:create', '--email', adminEmail, '--password', PASSWORD],
        env,
        timeoutMs: BOOT_TIMEOUT_MS,
      });
      expect(created.code).toBe(0);

      const first = await spawnInstance({ env, readyTimeoutMs: BOOT_TIMEOUT_MS });
      instances.push(first);
      const admin = await expectStatus(
        call(first.baseUrl, 'POST', '/auth/login', { email: adminEmail, password: PASSWORD }),
        200,
      );
      const client = await expectStatus(
        call(
          first.baseUrl,
          'POST',
          '/admin/service-clients',
          { name: 'crash-receiver', scopes: ['ssf:stream'] },
          `Bearer ${String(admin.accessToken)}`,
        ),
        201,
      );
      const clientId = String(client.clientId);
      // Direct client authentication (HTTP Basic): no token to outlive across restarts.
      const basic = `Basic ${Buffer.from(`${clientId}:${String(client.clientSecret)}`).toString('base64')}`;

      // The receiver's port, not listening yet: the first pushes find nobody there.
      await receiver.start();
      const port = receiver.port;
      await receiver.stop();
      const stream = await expectStatus(
        call(
          first.baseUrl,
          'POST',
          '/ssf/streams',
          {
            events_requested: [SESSION_REVOKED],
            delivery: {
              method: 'urn:ietf:rfc:8935',
              endpoint_url: `http://127.0.0.1:${port}/events`,
            },
          },
          basic,
        ),
        201,
      );
      const streamId = String(stream.stream_id);

      // Case 1: the logout commits, the server dies before any push could land.
      const firstSession = await loginAndLogout(
        first.baseUrl,
        `ssf-crash-1.${process.pid}.${Date.now()}@example.com`,
      );
      // On PostgreSQL (readable while the server runs) wait until the SET itself is committed
      // and its first push has failed; PGlite is killed straight after the logout's commit.
      if (!target.env.DATA_DIR) {
        const deadline = Date.now() + 10_000;
        while (
          (
            await target.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM ssf_sets WHERE stream_id = $1 AND attempts > 0`,
              [streamId],
            )
          )[0].n === 0
        ) {
          if (Date.now() > deadline) throw new Error('the SET was never attempted');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      await first.kill();
      const [leftover] = await target.query<{
        sets: number;
        delivered: number;
        published: number;
      }>(
        `SELECT (SELECT count(*)::int FROM ssf_sets WHERE stream_id = $1) AS sets,
                (SELECT count(*)::int FROM ssf_sets WHERE stream_id = $1 AND status <> 'pending') AS delivered,
                (SELECT count(*)::int FROM outbox_events WHERE type = 'session.revoked'
                  AND payload->>'sessionId' = $2 AND published_at IS NOT NULL) AS published`,
        [streamId, firstSession],
      );
      expect(leftover.delivered).toBe(0);
      await receiver.start(port);

      const restartedAt = Date.now();
      const second = await spawnInstance({ env, readyTimeoutMs: BOOT_TIMEOUT_MS });
      instances.push(second);
      const [pushed] = await receiver.waitForPushes(1, 20_000);
      // The issuer a receiver pins: the one the transmitter's metadata names.
      const metadata = await expectStatus(
        call(second.baseUrl, 'GET', '/.well-known/ssf-configuration'),
        200,
      );
      const jwks = (base: string) => ({
        jwksUrl: `${base}/.well-known/jwks.json`,
        issuer: String(metadata.issuer),
        audience: clientId,
      });
      const { payload } = await verifySet(pushed.body, jwks(second.baseUrl));
      expect((payload.sub_id as { session: { id: string } }).session.id).toBe(firstSession);
      expect(Object.keys(payload.events as object)).toEqual([SESSION_REVOKED]);
      const jti1 = String(payload.jti);
      const case1Ms = pushed.at - restartedAt;

      // A verification SET queued after it is a barrier: once it arrives, the worker is past
      // the first SET, so a duplicate would have shown up by now.
      await expectStatus(
        call(second.baseUrl, 'POST', '/ssf/streams/verify', { stream_id: streamId }, basic),
        204,
      );
      await receiver.waitForPushes(2);

      // Case 2: the receiver takes the push and holds it open; the server dies before the answer.
      receiver.answer = () => 'hold';
      const secondSession = await loginAndLogout(
        second.baseUrl,
        `ssf-crash-2.${process.pid}.${Date.now()}@example.com`,
      );
      const [, , held] = await receiver.waitForPushes(3);
      await second.kill();
      receiver.answer = () => ({ status: 202 });

      const third = await spawnInstance({ env, readyTimeoutMs: BOOT_TIMEOUT_MS });
      instances.push(third);
      const resent = (await receiver.waitForPushes(4, 20_000))[3];
      expect(resent.body).toBe(held.body);
      const { payload: again } = await verifySet(resent.body, jwks(third.baseUrl));
      expect((again.sub_id as { session: { id: string } }).session.id).toBe(secondSession);
      const jti2 = String(again.jti);
      await expectStatus(
        call(third.baseUrl, 'POST', '/ssf/streams/verify', { stream_id: streamId }, basic),
        204,
      );
      await receiver.waitForPushes(5);
      await third.stop();

      const counts = receiver.countsByJti();
      const verifications = receiver.pushes
        .map((push) => push.body)
        .filter((body) => body.includes('.'))
        .map((body) => JSON.parse(Buffer.from(body.split('.')[1], 'base64url').toString()))
        .filter((claims: { events: object }) => VERIFICATION in claims.events)
        .map((claims: { jti: string }) => claims.jti);
      expect(verifications).toHaveLength(2);
      expect(counts).toEqual({
        [jti1]: 1,
        [jti2]: 2,
        [verifications[0]]: 1,
        [verifications[1]]: 1,
      });
      const rows = await target.query<{ jti: string; status: string; attempts: number }>(
        `SELECT jti, status, attempts FROM ssf_sets WHERE stream_id = $1 ORDER BY seq`,
        [streamId],
      );
      expect(rows.map((row) => [row.jti, row.status])).toEqual([
        [jti1, 'delivered'],
        [verifications[0], 'delivered'],
        [jti2, 'delivered'],
        [verifications[1], 'delivered'],
      ]);
      process.stdout.write(
        `ssf crash (${target.env.DATA_DIR ? 'PGlite' : 'PostgreSQL'}): raw POSTs per jti ` +
          `${JSON.stringify({ case1: counts[jti1], case2: counts[jti2], verifications: 2 })}; ` +
          `case 1 state at the crash ${JSON.stringify(leftover)}, pushed ` +
          `${case1Ms} ms after the restart began; attempts ${JSON.stringify(rows.map((r) => r.attempts))}\n`,
      );
    },
    5 * BOOT_TIMEOUT_MS,
  );
});
