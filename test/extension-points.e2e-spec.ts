import { AdminShortSessions } from '../examples/custom-policy/admin-short-sessions.policy';
import { loadConfig } from '../src/config/app-config';
import { ConfiguredSessionPolicy } from '../src/sessions/session-policy';
import { TransactionRunner } from '../src/events/transaction-runner.service';
import {
  NistPasswordPolicy,
  PasswordPolicy,
  type PasswordContext,
} from '../src/users/password-policy';
import { UsersService } from '../src/users/users.service';
import { bearer, login, PASSWORD, register, uniqueEmail } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

/** Grants made outside any request are audited with this actor (as the operator CLI's are). */
const OPERATOR_ID = '00000000-0000-0000-0000-000000000000';

const MINUTE = 60_000;
const expiresAt = (tokens: { session: object }): string =>
  (tokens.session as { expiresAt: string }).expiresAt;
const HOUR = 60 * MINUTE;

/** A stricter password policy: the NIST rules plus a 12-character minimum. */
class LongPasswordPolicy extends PasswordPolicy {
  private readonly nist = new NistPasswordPolicy(12);

  check(password: string, context: PasswordContext): string[] {
    return this.nist.check(password, context);
  }
}

describe('extension points', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      sessions: {
        policy: new AdminShortSessions(new ConfiguredSessionPolicy(loadConfig({}))),
      },
      auth: { passwordPolicy: new LongPasswordPolicy() },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  async function registerAdmin(): Promise<string> {
    const email = uniqueEmail('policy-admin');
    const { id } = await register(t, email);
    await t.app
      .get(TransactionRunner)
      .run((tx) => t.app.get(UsersService).setRoles(tx, id, ['admin'], OPERATOR_ID));
    return email;
  }

  it('a custom session policy gives admins a 1-hour absolute timeout, and users the default', async () => {
    const now = t.clock.nowMs();
    const adminEmail = await registerAdmin();
    const admin = await login(t, adminEmail);
    expect(Date.parse(expiresAt(admin))).toBe(now + HOUR);
    const userEmail = uniqueEmail();
    await register(t, userEmail);
    const user = await login(t, userEmail);
    expect(Date.parse(expiresAt(user))).toBe(now + 30 * 24 * HOUR);

    // Activity keeps the idle deadline moving, but never the absolute one.
    let tokens = admin;
    for (const minutes of [25, 25]) {
      t.clock.advance(minutes * MINUTE);
      const res = await t.http
        .post('/auth/refresh')
        .send({ refreshToken: tokens.refreshToken })
        .expect(200);
      tokens = res.body;
    }
    t.clock.advance(11 * MINUTE);
    const expired = await t.http
      .get('/auth/me')
      .set(...bearer(tokens.accessToken))
      .expect(401);
    expect(expired.body.code).toBe('session_expired');
    await t.http.post('/auth/refresh').send({ refreshToken: tokens.refreshToken }).expect(401);
  });

  it('a custom session policy limits admins to 2 concurrent sessions', async () => {
    const email = await registerAdmin();
    const first = await login(t, email, { device: { id: 'device-policy-1' } });
    await login(t, email, { device: { id: 'device-policy-2' } });
    await login(t, email, { device: { id: 'device-policy-3' } });
    const evicted = await t.http
      .get('/auth/me')
      .set(...bearer(first.accessToken))
      .expect(401);
    expect(evicted.body.code).toBe('session_revoked');
  });

  it('a custom password policy (AuthModule.forRoot({ passwordPolicy })) decides what is accepted', async () => {
    const short = await t.http
      .post('/auth/register')
      .send({ email: uniqueEmail(), password: 'eleven char' })
      .expect(400);
    expect(short.body).toMatchObject({
      code: 'validation_failed',
      errors: [{ field: 'password', messages: ['must be at least 12 characters'] }],
    });
    expect(PASSWORD.length).toBeGreaterThanOrEqual(12);
    await register(t, uniqueEmail()); // the default test password is long enough
  });
});
