import {
  PasswordResetNotifier,
  type PasswordResetMessage,
} from '../src/auth/passwords/password-reset-notifier';
import { bearer, PASSWORD, register, uniqueEmail, type TokenBody } from './support/auth-client';
import { drainEvents, eventually } from './support/events-helpers';
import { ADMIN_SETUP_TIMEOUT_MS, signedInAdmin } from './support/admin-session';
import { createTestApp, type TestApp } from './support/test-app';

class MailboxNotifier extends PasswordResetNotifier {
  readonly tokens: string[] = [];
  async send(message: PasswordResetMessage): Promise<void> {
    this.tokens.push(message.token);
  }
}

interface AuditItem {
  id: string;
  type: string;
  reason: string | null;
  outcome: string;
  sessionId: string | null;
  deviceId: string | null;
  ip: string | null;
  userAgent: string | null;
  data: Record<string, unknown>;
}

/**
 * Walks every state-changing operation of the contract for one user and compares the audit log
 * with the events each step must produce, in order (`type` or `type:reason`).
 */
describe('lifecycle events: the whole flow, as the audit log tells it', () => {
  let t: TestApp;
  const mailbox = new MailboxNotifier();
  let adminToken: string;
  const secrets: string[] = [];

  beforeAll(async () => {
    // Reuse detection on an immediate replay: no grace window (the default is 10 s).
    t = await createTestApp({
      env: { REFRESH_REUSE_GRACE: '0s' },
      auth: { passwordResetNotifier: mailbox },
    });
    const admin = await signedInAdmin(t);
    adminToken = admin.accessToken;
  }, ADMIN_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t.close();
  });

  async function auditOf(userId: string): Promise<AuditItem[]> {
    const items: AuditItem[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.http
        .get('/admin/audit')
        .query({ userId, limit: 7, ...(cursor ? { cursor } : {}) })
        .set(...bearer(adminToken))
        .expect(200);
      items.push(...(res.body.items as AuditItem[]));
      cursor = res.body.nextCursor as string | null;
    } while (cursor);
    return items.reverse(); // the API is newest first
  }

  async function signIn(email: string, deviceId: string, password = PASSWORD): Promise<TokenBody> {
    const res = await t.http
      .post('/auth/login')
      .set('User-Agent', 'TesseraTest/1.0')
      .send({ email, password, device: { id: deviceId, name: `phone ${deviceId}` } })
      .expect(200);
    const body = res.body as TokenBody;
    secrets.push(body.accessToken, body.refreshToken);
    return body;
  }

  it('records exactly the documented events for each operation, in order, with no secrets', async () => {
    const expected: string[] = [];
    const step = async (events: string[], work: () => Promise<unknown>): Promise<void> => {
      await work();
      await drainEvents(t);
      expected.push(...events);
    };
    const email = uniqueEmail('flow');
    const newPassword = 'another correct horse battery';
    const resetPassword = 'a third horse battery staple';
    let userId = '';
    let a!: TokenBody;
    let main!: TokenBody;

    await step(['user.registered'], async () => {
      userId = (await register(t, email)).id;
    });
    const loginEvents = ['session.created', 'auth.login.succeeded'];
    await step(['device.new', ...loginEvents], async () => {
      a = await signIn(email, 'device-a');
    });
    let rotated!: TokenBody;
    await step(['session.refreshed'], async () => {
      rotated = (
        await t.http
          .post('/auth/refresh')
          .send({ refreshToken: a.refreshToken, deviceId: 'device-a' })
          .expect(200)
      ).body;
      secrets.push(rotated.accessToken, rotated.refreshToken);
    });
    await step(
      ['session.reuse_detected', 'session.revoked:reuse_detected', 'alert.raised'],
      async () => {
        const res = await t.http
          .post('/auth/refresh')
          .send({ refreshToken: a.refreshToken })
          .expect(401);
        expect(res.body.code).toBe('refresh_token_reused');
      },
    );
    await step(loginEvents, async () => {
      main = await signIn(email, 'device-a');
    });
    let b!: TokenBody;
    await step(['device.new', ...loginEvents, 'alert.raised'], async () => {
      b = await signIn(email, 'device-b');
    });
    let c!: TokenBody;
    await step(['device.new', ...loginEvents, 'alert.raised'], async () => {
      c = await signIn(email, 'device-c');
    });
    await step(['session.revoked:user'], () =>
      t.http
        .delete(`/sessions/${c.session.id}`)
        .set(...bearer(main.accessToken))
        .expect(204),
    );
    await step(loginEvents, () => signIn(email, 'device-b'));
    await step(['session.revoked:user', 'session.revoked:user'], () =>
      t.http
        .delete('/sessions')
        .set(...bearer(main.accessToken))
        .expect(204),
    );
    const deviceB = b.session.device?.id as string;
    const deviceA = main.session.device?.id as string;
    await step(['device.trusted'], () =>
      t.http
        .post(`/devices/${deviceA}/trust`)
        .set(...bearer(main.accessToken))
        .expect(204),
    );
    await step(['device.untrusted'], () =>
      t.http
        .delete(`/devices/${deviceA}/trust`)
        .set(...bearer(main.accessToken))
        .expect(204),
    );
    await step(['device.renamed'], () =>
      t.http
        .patch(`/devices/${deviceA}`)
        .set(...bearer(main.accessToken))
        .send({ name: 'My phone' })
        .expect(204),
    );
    await step(loginEvents, () => signIn(email, 'device-b'));
    await step(['session.revoked:device_forgotten', 'device.forgotten'], () =>
      t.http
        .delete(`/devices/${deviceB}`)
        .set(...bearer(main.accessToken))
        .expect(204),
    );
    await step(loginEvents, () => signIn(email, 'device-a'));
    await step(['session.revoked:password_change', 'password.changed'], () =>
      t.http
        .post('/auth/password/change')
        .set(...bearer(main.accessToken))
        .send({ currentPassword: PASSWORD, newPassword })
        .expect(204),
    );
    await step(['session.revoked:logout_all'], () =>
      t.http
        .post('/auth/logout-all')
        .set(...bearer(main.accessToken))
        .expect(204),
    );
    let f!: TokenBody;
    await step(loginEvents, async () => {
      f = await signIn(email, 'device-a', newPassword);
    });
    await step(['session.revoked:logout'], () =>
      t.http
        .post('/auth/logout')
        .set(...bearer(f.accessToken))
        .expect(204),
    );
    await step(loginEvents, () => signIn(email, 'device-a', newPassword));
    await step(['password.reset_requested'], async () => {
      await t.http.post('/auth/password/forgot').send({ email }).expect(202);
      await eventually(() => (mailbox.tokens.length > 0 ? true : undefined), 2000, 'reset message');
      secrets.push(...mailbox.tokens);
    });
    await step(['session.revoked:password_reset', 'password.reset'], () =>
      t.http
        .post('/auth/password/reset')
        .send({ token: mailbox.tokens[0], newPassword: resetPassword })
        .expect(204),
    );
    // Five failures (LOGIN_MAX_FAILURES 5) raise the account's failed-login burst alert and
    // delay the next attempt from this network; nothing locks the account (contract v2).
    for (let i = 1; i <= 4; i += 1) {
      await step(['auth.login.failed:invalid_credentials'], () =>
        t.http
          .post('/auth/login')
          .set('User-Agent', 'TesseraTest/1.0')
          .send({ email, password: `wrong password ${i}` })
          .expect(401),
      );
    }
    await step(['auth.login.failed:invalid_credentials', 'alert.raised'], () =>
      t.http
        .post('/auth/login')
        .set('User-Agent', 'TesseraTest/1.0')
        .send({ email, password: 'wrong password 5' })
        .expect(401),
    );
    // Delayed (429), even with the right password: no failure counted, nothing recorded per
    // attempt (429s are audited in per-minute aggregates, security.denied, without a user).
    await step([], () =>
      t.http
        .post('/auth/login')
        .set('User-Agent', 'TesseraTest/1.0')
        .send({ email, password: resetPassword })
        .expect(429),
    );

    const records = await auditOf(userId);
    const actual = records.map((r) =>
      r.reason && !r.type.startsWith('alert.') ? `${r.type}:${r.reason}` : r.type,
    );
    expect(actual).toEqual(expected);

    // who/what/where: every request-driven record names the client; failures are marked.
    const failed = records.filter((r) => r.type === 'auth.login.failed');
    expect(
      failed.every((r) => r.outcome === 'failure' && r.ip !== null && r.userAgent !== null),
    ).toBe(true);
    expect(records.find((r) => r.type === 'session.created')?.deviceId).toBe(deviceA);
    // No token, password or reset secret anywhere in the trail.
    const dump = JSON.stringify(records);
    for (const secret of [...secrets, PASSWORD, newPassword, resetPassword])
      expect(dump).not.toContain(secret);

    // The user's own view is the same trail (once the delay has passed and they sign in).
    t.clock.advance(t.config.login.lockoutMs + 1000);
    const back = await signIn(email, 'device-a', resetPassword);
    const mine = await t.http
      .get('/me/activity')
      .query({ limit: 200 })
      .set(...bearer(back.accessToken))
      .expect(200);
    const mineIds = (mine.body.items as Array<{ id: string; userId: string }>).map(
      (item) => item.id,
    );
    expect(mineIds).toEqual(expect.arrayContaining(records.map((r) => r.id)));
    expect(
      (mine.body.items as Array<{ userId: string }>).every((item) => item.userId === userId),
    ).toBe(true);
  });
});
