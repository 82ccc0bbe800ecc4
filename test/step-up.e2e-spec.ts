import {
  ADMIN_SETUP_TIMEOUT_MS,
  type AdminSession,
  enrolTotp,
  loginWithSecondFactor,
  signedInAdmin,
  totpCode,
} from './support/admin-session';
import { bearer, PASSWORD, register, signedInUser } from './support/auth-client';
import { makeAdmin } from './support/events-helpers';
import { createTestApp, type TestApp } from './support/test-app';

const MAX_AGE_S = 600; // STEP_UP_MAX_AGE's default, 10m

function claimsOf(accessToken: string): { amr: string[]; auth_time: number } {
  return JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString('utf8')) as {
    amr: string[];
    auth_time: number;
  };
}

/**
 * Step-up (RFC 9470) on a real database: routes marked @RequireFreshAuth() answer 401
 * step_up_required with the RFC's WWW-Authenticate challenge once the session's last
 * authentication is older than STEP_UP_MAX_AGE, and pass after POST /auth/reauth.
 * ADMIN_REQUIRE_MFA: admin routes need a session signed in with a second factor.
 */
describe('step-up and ADMIN_REQUIRE_MFA', () => {
  let t: TestApp;
  const logs: string[] = [];
  let admin: AdminSession;

  beforeAll(async () => {
    t = await createTestApp({ logs, env: { LOG_LEVEL: 'debug' } });
    admin = await signedInAdmin(t);
  }, ADMIN_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t.close();
  });

  function expectStepUp(res: { status: number; body: { code: string }; headers: object }): void {
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('step_up_required');
    expect((res.headers as Record<string, string>)['www-authenticate']).toBe(
      'Bearer error="insufficient_user_authentication", ' +
        'error_description="A more recent authentication is required", ' +
        `max_age=${MAX_AGE_S}`,
    );
  }

  it('DELETE /me/mfa/totp needs a fresh authentication; password reauth restores it', async () => {
    const user = await signedInUser(t);
    await enrolTotp(t, user.accessToken);
    t.clock.advance(MAX_AGE_S * 1000 + 1000);
    // A refreshed token keeps the old auth_time: refresh is not re-authentication.
    const refreshed = await t.http
      .post('/auth/refresh')
      .send({ refreshToken: user.refreshToken })
      .expect(200);
    expectStepUp(
      await t.http.delete('/me/mfa/totp').set(...bearer(refreshed.body.accessToken as string)),
    );

    const wrong = await t.http
      .post('/auth/reauth')
      .set(...bearer(refreshed.body.accessToken as string))
      .send({ password: 'not the password at all' })
      .expect(401);
    expect(wrong.body.code).toBe('invalid_credentials');

    const res = await t.http
      .post('/auth/reauth')
      .set(...bearer(refreshed.body.accessToken as string))
      .send({ password: PASSWORD })
      .expect(200);
    expect(res.body).toEqual({
      accessToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: expect.any(Number),
    });
    expect(claimsOf(res.body.accessToken as string).auth_time).toBe(
      Math.floor(t.clock.nowMs() / 1000),
    );
    await t.http
      .delete('/me/mfa/totp')
      .set(...bearer(res.body.accessToken as string))
      .expect(204);
    const status = await t.http
      .get('/me/mfa')
      .set(...bearer(res.body.accessToken as string))
      .expect(200);
    expect(status.body).toEqual({ totp: false, passkeys: [], recoveryCodesLeft: 0 });

    // The step-up is on the record, with no secret in it.
    const [event] = await t.dataSource.query<Array<{ payload: { data: unknown } }>>(
      `SELECT payload FROM outbox_events WHERE type = 'auth.step_up' AND payload->>'userId' = $1`,
      [user.user.id],
    );
    expect(event.payload.data).toEqual({ method: 'password', amr: ['pwd'] });
  });

  it('an admin mutation needs a fresh authentication; TOTP reauth restores it', async () => {
    const target = await register(t);
    // Earlier tests moved the clock: refresh first (the new token keeps the old auth_time).
    const refreshed = await t.http
      .post('/auth/refresh')
      .send({ refreshToken: admin.refreshToken })
      .expect(200);
    admin = { ...admin, ...(refreshed.body as Partial<AdminSession>) };
    await t.http
      .get('/admin/users')
      .set(...bearer(admin.accessToken))
      .expect(200);
    t.clock.advance(MAX_AGE_S * 1000 + 1000);
    // Reads stay open; mutations need the step-up.
    await t.http
      .get(`/admin/users/${target.id}`)
      .set(...bearer(admin.accessToken))
      .expect(200);
    expectStepUp(
      await t.http
        .patch(`/admin/users/${target.id}`)
        .set(...bearer(admin.accessToken))
        .send({ locked: true }),
    );
    t.clock.advance(30_000); // a TOTP step the admin has not used
    const res = await t.http
      .post('/auth/reauth')
      .set(...bearer(admin.accessToken))
      .send({ method: 'totp', code: await totpCode(t, admin.totpSecret) })
      .expect(200);
    const token = res.body.accessToken as string;
    expect(claimsOf(token).amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    await t.http
      .patch(`/admin/users/${target.id}`)
      .set(...bearer(token))
      .send({ locked: true })
      .expect(200);
    admin = { ...admin, accessToken: token };
  });

  it('refuses admin routes to an admin without a second factor (403 mfa_enrollment_required)', async () => {
    const user = await signedInUser(t);
    await makeAdmin(t, user.user.id);
    const res = await t.http
      .get('/admin/users')
      .set(...bearer(user.accessToken))
      .expect(403);
    expect(res.body.code).toBe('mfa_enrollment_required');
    // The enrolment routes stay open to them.
    await t.http
      .get('/me/mfa')
      .set(...bearer(user.accessToken))
      .expect(200);
  });

  it('in cookie mode, reauth sets a new access cookie', async () => {
    const user = await signedInUser(t);
    const login = await t.http
      .post('/auth/login')
      .set('X-Auth-Mode', 'cookie')
      .send({ email: user.email, password: PASSWORD })
      .expect(200);
    const jar = ([] as string[])
      .concat(login.headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0])
      .join('; ');
    t.clock.advance(MAX_AGE_S * 1000 + 1000);
    const res = await t.http
      .post('/auth/reauth')
      .set('Cookie', jar)
      .set('X-CSRF-Token', login.body.csrfToken as string)
      .send({ password: PASSWORD })
      .expect(200);
    expect(res.body.accessToken).toBeUndefined();
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    expect(cookies.some((c) => c.startsWith('__Host-tessera_at='))).toBe(true);
  });

  it('never logs or stores a TOTP secret, a code or a recovery code', async () => {
    const user = await signedInUser(t);
    const { secret, recoveryCodes } = await enrolTotp(t, user.accessToken);
    const used: string[] = [secret, ...recoveryCodes];
    used.push(await totpCode(t, secret)); // the confirming code
    t.clock.advance(30_000);
    const totp = await totpCode(t, secret);
    used.push(totp);
    await loginWithSecondFactor(t, user.email, { method: 'totp', code: totp });
    await loginWithSecondFactor(t, user.email, {
      method: 'recovery_code',
      code: recoveryCodes[0],
    });
    // A wrong code too (recorded as mfa.challenge_failed).
    const challenge = await t.http
      .post('/auth/login')
      .send({ email: user.email, password: PASSWORD })
      .expect(401);
    await t.http
      .post('/auth/mfa/verify')
      .send({ mfaToken: challenge.body.mfaToken, method: 'totp', code: '999999' })
      .expect(401);
    await t.flushEvents();

    const rows = await t.dataSource.query<Array<{ payload: unknown }>>(
      `SELECT payload FROM outbox_events`,
    );
    const audit = await t.dataSource.query<Array<{ row: unknown }>>(
      `SELECT to_jsonb(a) AS row FROM audit_records a`,
    );
    const stored = JSON.stringify([rows, audit]);
    const logged = logs.join('\n');
    expect(logs.length).toBeGreaterThan(0);
    expect(stored).toContain('mfa.enrolled');
    for (const value of used) {
      // Recovery codes may be stored or typed with or without their separators.
      const forms = [value, value.replace(/-/g, '')];
      for (const form of forms) {
        expect({ where: 'events', form, found: stored.includes(form) }).toEqual({
          where: 'events',
          form,
          found: false,
        });
        expect({ where: 'logs', form, found: logged.includes(form) }).toEqual({
          where: 'logs',
          form,
          found: false,
        });
      }
    }
  });
});
