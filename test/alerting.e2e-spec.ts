import { randomUUID } from 'node:crypto';
import { AlertObservationPruner } from '../src/alerting/alert-observation-pruner.service';
import { Injectable } from '@nestjs/common';
import { AlertChannel } from '../src/alerting/alert-channel';
import type { AlertView } from '../src/alerting/alert-view';
import { LogAlertChannel } from '../src/alerting/examples/log-alert.channel';
import { Clock } from '../src/common/clock';
import {
  bearer,
  login,
  PASSWORD,
  register,
  signedInUser,
  uniqueEmail,
} from './support/auth-client';
import { drainEvents } from './support/events-helpers';
import {
  ADMIN_SETUP_TIMEOUT_MS,
  type AdminSession,
  loginWithSecondFactor,
  signedInAdmin,
  totpCode,
} from './support/admin-session';
import { createTestApp, type TestApp } from './support/test-app';

/** A custom channel as a team would write one: an injectable provider (here it uses the Clock). */
@Injectable()
class InboxChannel extends AlertChannel {
  static readonly received: Array<{ alert: AlertView; at: string }> = [];
  readonly name = 'inbox';

  constructor(private readonly clock: Clock) {
    super();
  }

  async deliver(alert: AlertView): Promise<void> {
    InboxChannel.received.push({ alert, at: this.clock.now().toISOString() });
  }
}

/** Fails its first delivery: the dispatcher must retry it without repeating the other channels. */
/** Fails the first new-device alert once (other alerts, e.g. the admin's setup, pass through). */
class FlakyChannel extends AlertChannel {
  readonly name = 'flaky';
  failed = false;
  delivered: string[] = [];

  async deliver(alert: AlertView): Promise<void> {
    if (alert.rule !== 'device.new_sign_in') return;
    if (!this.failed) {
      this.failed = true;
      throw new Error('receiver unavailable');
    }
    this.delivered.push(alert.id);
  }
}

describe('alerting: rules, deduplication, stored alerts and custom channels', () => {
  let t: TestApp;
  const logs: string[] = [];
  const flaky = new FlakyChannel();
  let adminToken: string;
  let admin: AdminSession;

  beforeAll(async () => {
    t = await createTestApp({
      // Trust the loopback proxy so tests can choose the client IP with X-Forwarded-For.
      // No refresh grace window: an immediate replay must count as reuse (the default is 10 s).
      env: { TRUST_PROXY: 'loopback', MAX_SESSIONS_PER_USER: '2', REFRESH_REUSE_GRACE: '0s' },
      alerting: {
        channels: [InboxChannel, LogAlertChannel, flaky],
        failedLoginsPerIp: { count: 3, windowMs: 60_000 },
      },
      logs,
    });
    admin = await signedInAdmin(t);
    adminToken = admin.accessToken;
    await drainEvents(t);
  }, ADMIN_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t.close();
  });

  async function alertsOf(accessToken: string): Promise<AlertView[]> {
    return (
      await t.http
        .get('/me/alerts')
        .set(...bearer(accessToken))
        .expect(200)
    ).body.items;
  }

  async function signIn(
    email: string,
    ip: string,
    deviceId?: string,
  ): Promise<{ accessToken: string; refreshToken: string; session: { id: string } }> {
    const res = await t.http
      .post('/auth/login')
      .set('X-Forwarded-For', ip)
      .set('User-Agent', 'TesseraTest/1.0')
      .send({ email, password: PASSWORD, ...(deviceId ? { device: { id: deviceId } } : {}) })
      .expect(200);
    return res.body;
  }

  it('raises a new-device alert only when the account already had a device, and delivers it to every channel once', async () => {
    const email = uniqueEmail('alert');
    await register(t, email);
    const first = await signIn(email, '198.51.100.1', 'phone-0001');
    await drainEvents(t);
    expect(await alertsOf(first.accessToken)).toEqual([]);

    await signIn(email, '198.51.100.1', 'laptop-0001');
    await t.flushEvents(); // the flaky channel fails here …
    await t.flushEvents();
    await t.flushEvents();
    await t.dataSource.query(
      `UPDATE outbox_events SET claimed_until = NULL WHERE published_at IS NULL`,
    );
    await drainEvents(t); // … and is retried here
    const [alert] = await alertsOf(first.accessToken);
    expect(alert).toMatchObject({
      rule: 'device.new_sign_in',
      severity: 'medium',
      status: 'open',
      occurrences: 1,
    });
    expect(alert.evidenceEventIds).toHaveLength(1);

    expect(InboxChannel.received.filter((r) => r.alert.id === alert.id)).toHaveLength(1);
    expect(flaky.delivered).toEqual([alert.id]);
    const logged = logs.filter(
      (line) => line.includes('"context":"SecurityAlert"') && line.includes(alert.id),
    );
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0])).toMatchObject({
      level: 'warn',
      rule: 'device.new_sign_in',
      severity: 'medium',
    });

    // Raising it recorded alert.raised through the outbox (and so in the audit trail).
    const audit = await t.http
      .get('/me/activity')
      .query({ type: 'alert.raised' })
      .set(...bearer(first.accessToken))
      .expect(200);
    expect(audit.body.items[0].data).toEqual({
      alertId: alert.id,
      rule: 'device.new_sign_in',
      severity: 'medium',
    });
  });

  it('raises on refresh-token reuse, IP change in a session, and eviction by the session limit', async () => {
    const user = await signedInUser(t);
    await t.http
      .post('/auth/refresh')
      .set('X-Forwarded-For', '203.0.113.7')
      .send({ refreshToken: user.refreshToken })
      .expect(200);
    await t.http.post('/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
    const email = uniqueEmail('evict');
    await register(t, email);
    const s1 = await signIn(email, '192.0.2.1');
    await signIn(email, '192.0.2.1');
    await signIn(email, '192.0.2.1'); // the limit is 2: s1 is evicted
    await drainEvents(t);

    const rules = (
      await t.http
        .get('/admin/alerts')
        .query({ userId: user.user.id })
        .set(...bearer(adminToken))
        .expect(200)
    ).body.items.map((a: AlertView) => `${a.rule}/${a.severity}`);
    expect(rules.sort()).toEqual(['session.ip_changed/medium', 'session.refresh_token_reuse/high']);
    const evictedUser = (
      await t.http
        .get('/auth/me')
        .set(...bearer((await signIn(email, '192.0.2.1')).accessToken))
        .expect(200)
    ).body.user.id;
    await drainEvents(t);
    const evictions = (
      await t.http
        .get('/admin/alerts')
        .query({ userId: evictedUser, rule: 'session.limit_evicted' })
        .set(...bearer(adminToken))
        .expect(200)
    ).body.items;
    // Two evictions within the window fold into one alert.
    expect(evictions).toHaveLength(1);
    expect(evictions[0]).toMatchObject({ severity: 'low', occurrences: 2 });
    await t.http
      .get('/auth/me')
      .set(...bearer(s1.accessToken))
      .expect(401);
  });

  it('detects failed-login bursts per account and per IP, deduplicated within the window', async () => {
    const victim = uniqueEmail('victim');
    const other = uniqueEmail('other');
    const victimId = (await register(t, victim)).id;
    await register(t, other);
    const fail = (email: string, ip: string) =>
      t.http
        .post('/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ email, password: 'not the password' })
        .expect(401);
    // From one IP: 2 against `other`, then 5 against the victim (delayed after, never locked).
    await fail(other, '203.0.113.50');
    await fail(other, '203.0.113.50');
    for (let i = 0; i < 5; i += 1) await fail(victim, '203.0.113.50');
    await drainEvents(t);

    const all: AlertView[] = (
      await t.http
        .get('/admin/alerts')
        .query({ limit: 200 })
        .set(...bearer(adminToken))
        .expect(200)
    ).body.items;
    const ipBurst = all.filter(
      (a) => a.rule === 'auth.failed_login_burst.ip' && a.ip === '203.0.113.50',
    );
    expect(ipBurst).toHaveLength(1);
    // Crossed at the 3rd failure; the next four folded into the same alert.
    expect(ipBurst[0]).toMatchObject({ severity: 'high', occurrences: 5 });
    expect(ipBurst[0].evidenceEventIds).toHaveLength(7);
    // Its evidence spans two accounts: filed without a user, for administrators only.
    expect(ipBurst[0].userId).toBeNull();
    const victimAlerts = all
      .filter((a) => a.userId === victimId)
      .map((a) => a.rule)
      .sort();
    // The IP burst crossed its threshold on the victim's first failure, but is not filed there
    // (no user: admins only). Failed logins no longer lock an account (contract v2).
    expect(victimAlerts).toEqual(['auth.failed_login_burst.account']);
    const burst = all.find(
      (a) => a.rule === 'auth.failed_login_burst.account' && a.userId === victimId,
    );
    expect(burst?.evidenceEventIds).toHaveLength(5);

    // Past the window a new burst is a new alert.
    t.clock.advance(t.config.login.lockoutMs + 11 * 60_000);
    // The admin signs in again (password and a TOTP code of the new time step).
    adminToken = (
      await loginWithSecondFactor(t, admin.email, {
        method: 'totp',
        code: await totpCode(t, admin.totpSecret),
      })
    ).accessToken;
    for (const email of [victim, other]) {
      const own = await alertsOf((await login(t, email)).accessToken);
      expect(own.map((a) => a.rule)).not.toContain('auth.failed_login_burst.ip');
    }
    for (let i = 0; i < 3; i += 1) await fail(other, '203.0.113.50');
    await drainEvents(t);
    const again = (
      await t.http
        .get('/admin/alerts')
        .query({ rule: 'auth.failed_login_burst.ip' })
        .set(...bearer(adminToken))
        .expect(200)
    ).body.items;
    expect(again.filter((a: AlertView) => a.ip === '203.0.113.50')).toHaveLength(2);
  });

  it('lets admins acknowledge and resolve alerts; users only see their own', async () => {
    const owner = await signedInUser(t, { device: { id: 'device-one' } });
    await login(t, owner.email, { device: { id: 'device-two' } });
    await drainEvents(t);
    const [alert] = await alertsOf(owner.accessToken);
    const ack = await t.http
      .patch(`/admin/alerts/${alert.id}`)
      .set(...bearer(adminToken))
      .send({ status: 'acknowledged' })
      .expect(200);
    expect(ack.body).toMatchObject({ id: alert.id, status: 'acknowledged' });
    expect(typeof ack.body.statusChangedBy).toBe('string');
    await t.http
      .patch(`/admin/alerts/${alert.id}`)
      .set(...bearer(adminToken))
      .send({ status: 'resolved' })
      .expect(200);
    const open = await t.http
      .get('/admin/alerts')
      .query({ status: 'open', userId: owner.user.id })
      .set(...bearer(adminToken))
      .expect(200);
    expect(open.body.items).toEqual([]);
    // Each change is audited with the actor and the transition, visible to the alert's owner.
    await drainEvents(t);
    const changes = await t.dataSource.query(
      `SELECT user_id, actor_id, data FROM audit_records
        WHERE type = 'alert.status_changed' AND data->>'alertId' = $1 ORDER BY seq`,
      [alert.id],
    );
    expect(changes.map((c: { data: { from: string; to: string } }) => c.data)).toEqual([
      expect.objectContaining({ from: 'open', to: 'acknowledged' }),
      expect.objectContaining({ from: 'acknowledged', to: 'resolved' }),
    ]);
    expect(changes[0]).toMatchObject({
      user_id: owner.user.id,
      actor_id: ack.body.statusChangedBy,
    });

    const bad = await t.http
      .patch(`/admin/alerts/${alert.id}`)
      .set(...bearer(adminToken))
      .send({ status: 'closed' })
      .expect(400);
    expect(bad.body.code).toBe('validation_failed');
    await t.http
      .patch('/admin/alerts/00000000-0000-4000-8000-000000000000')
      .set(...bearer(adminToken))
      .send({ status: 'open' })
      .expect(404);
    await t.http
      .patch(`/admin/alerts/${alert.id}`)
      .set(...bearer(owner.accessToken))
      .send({ status: 'open' })
      .expect(403);
    const stranger = await signedInUser(t);
    expect(await alertsOf(stranger.accessToken)).toEqual([]);
  });

  it('prunes observations past AUDIT_RETENTION, keeping the newest per rule and subject', async () => {
    const observe = async (subject: string): Promise<string> => {
      const id = randomUUID();
      await t.dataSource.query(
        `INSERT INTO alert_observations (event_id, rule, subject, occurred_at) VALUES ($1, 'test.prune', $2, $3)`,
        [id, subject, t.clock.now()],
      );
      return id;
    };
    const oldest = await observe('user:a');
    const older = await observe('user:a');
    const onlyOne = await observe('user:b');
    t.clock.advance(t.config.auditRetentionMs + 86_400_000);
    const fresh = await observe('user:a');
    // Earlier tests' observations age out too: count at least these two.
    expect(await t.app.get(AlertObservationPruner).prune()).toBeGreaterThanOrEqual(2);
    const left = await t.dataSource.query(
      `SELECT event_id FROM alert_observations WHERE rule = 'test.prune'`,
    );
    const ids = left.map((r: { event_id: string }) => r.event_id).sort();
    expect(ids).toEqual([onlyOne, fresh].sort());
    expect(ids).not.toContain(oldest);
    expect(ids).not.toContain(older);
    expect(await t.app.get(AlertObservationPruner).prune()).toBe(0);
  });
});
