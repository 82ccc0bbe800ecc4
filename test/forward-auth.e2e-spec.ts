/**
 * GET /auth/verify, the forward-authentication endpoint for gateways (contract: "Forward
 * authentication for gateways (v2)"), in process. The real nginx in front of two instances is
 * test/gateway-nginx.e2e-spec.ts; "no query per call" is in test/guard-no-query.e2e-spec.ts.
 */
import { AccessTokenGuard } from '../src/auth/guards/access-token.guard';
import { ActivityTracker } from '../src/sessions/activity-tracker.service';
import {
  bearer,
  login,
  PASSWORD,
  register,
  signedInUser,
  uniqueEmail,
} from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

describe('GET /auth/verify (forward authentication)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  async function cookieLogin(): Promise<{ jar: string; csrf: string; sessionId: string }> {
    const email = uniqueEmail('gw-cookie');
    await register(t, email);
    const res = await t.http
      .post('/auth/login')
      .set('X-Auth-Mode', 'cookie')
      .send({ email, password: PASSWORD })
      .expect(200);
    const jar = (res.headers['set-cookie'] as unknown as string[])
      .map((c) => c.split(';')[0])
      .join('; ');
    return { jar, csrf: res.body.csrfToken as string, sessionId: res.body.session.id as string };
  }

  it('answers 204 without a body and names the user, session and roles for a bearer token', async () => {
    const user = await signedInUser(t);
    const res = await t.http
      .get('/auth/verify')
      .set(...bearer(user.accessToken))
      .expect(204);
    expect(res.text).toBe('');
    expect(res.headers['x-auth-user-id']).toBe(user.user.id);
    expect(res.headers['x-auth-session-id']).toBe(user.session.id);
    expect(res.headers['x-auth-roles']).toBe('user');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('refuses a missing, forged or malformed token with problem+json and the code in X-Auth-Error', async () => {
    const none = await t.http.get('/auth/verify').expect(401);
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(none.body.code).toBe('unauthenticated');
    expect(none.headers['x-auth-error']).toBe('unauthenticated');
    expect(none.headers['x-auth-user-id']).toBeUndefined();

    const user = await signedInUser(t);
    const [header, payload] = user.accessToken.split('.');
    const forged = await t.http
      .get('/auth/verify')
      .set(...bearer(`${header}.${payload}.AAAA`))
      .expect(401);
    expect(forged.body.code).toBe('token_invalid');
    expect(forged.headers['x-auth-error']).toBe('token_invalid');

    const malformed = await t.http
      .get('/auth/verify')
      .set('Authorization', 'Basic abc')
      .expect(401);
    expect(malformed.headers['x-auth-error']).toBe('token_invalid');
  });

  it('refuses a revoked session at once and an expired token as token_expired', async () => {
    const email = uniqueEmail('gw-revoke');
    await register(t, email);
    const kept = await login(t, email);
    const revoked = await login(t, email);
    await t.http
      .post('/auth/logout')
      .set(...bearer(revoked.accessToken))
      .expect(204);
    const refused = await t.http
      .get('/auth/verify')
      .set(...bearer(revoked.accessToken))
      .expect(401);
    expect(refused.body.code).toBe('session_revoked');
    expect(refused.headers['x-auth-error']).toBe('session_revoked');
    await t.http
      .get('/auth/verify')
      .set(...bearer(kept.accessToken))
      .expect(204);

    t.clock.advance(16 * 60_000);
    const expired = await t.http
      .get('/auth/verify')
      .set(...bearer(kept.accessToken))
      .expect(401);
    expect(expired.headers['x-auth-error']).toBe('token_expired');
  });

  it('accepts the access cookie; an unsafe original method needs the right X-CSRF-Token', async () => {
    const { jar, csrf, sessionId } = await cookieLogin();
    const safe = await t.http.get('/auth/verify').set('Cookie', jar).expect(204);
    expect(safe.headers['x-auth-session-id']).toBe(sessionId);
    await t.http
      .get('/auth/verify')
      .set('Cookie', jar)
      .set('X-Original-Method', 'HEAD')
      .expect(204);

    for (const [header, method] of [
      ['X-Original-Method', 'POST'],
      ['X-Forwarded-Method', 'DELETE'],
      ['X-Forwarded-Method', 'put'],
      ['X-Original-Method', 'PATCH'],
    ]) {
      const missing = await t.http
        .get('/auth/verify')
        .set('Cookie', jar)
        .set(header, method)
        .expect(403);
      expect({ header, method, code: missing.body.code }).toEqual({
        header,
        method,
        code: 'csrf_failed',
      });
      expect(missing.headers['x-auth-error']).toBe('csrf_failed');
      await t.http
        .get('/auth/verify')
        .set('Cookie', jar)
        .set(header, method)
        .set('X-CSRF-Token', 'x'.repeat(csrf.length))
        .expect(403);
      const allowed = await t.http
        .get('/auth/verify')
        .set('Cookie', jar)
        .set(header, method)
        .set('X-CSRF-Token', csrf)
        .expect(204);
      expect(allowed.headers['x-auth-session-id']).toBe(sessionId);
    }

    // Another session's CSRF token is useless here.
    const other = await cookieLogin();
    await t.http
      .get('/auth/verify')
      .set('Cookie', jar)
      .set('X-Original-Method', 'POST')
      .set('X-CSRF-Token', other.csrf)
      .expect(403);
    // A safe header next to an unsafe one does not relax the check.
    await t.http
      .get('/auth/verify')
      .set('Cookie', jar)
      .set('X-Forwarded-Method', 'GET')
      .set('X-Original-Method', 'POST')
      .expect(403);
  });

  it('answers any method alike (Envoy ext_authz sends the original one); cookie CSRF reads it', async () => {
    const user = await signedInUser(t);
    for (const method of ['post', 'put', 'patch', 'delete', 'head', 'options'] as const) {
      const res = await t.http[method]('/auth/verify')
        .set(...bearer(user.accessToken))
        .expect(204);
      expect({ method, session: res.headers['x-auth-session-id'] }).toEqual({
        method,
        session: user.session.id,
      });
    }
    const { jar, csrf } = await cookieLogin();
    const refused = await t.http.delete('/auth/verify').set('Cookie', jar).expect(403);
    expect(refused.headers['x-auth-error']).toBe('csrf_failed');
    await t.http.delete('/auth/verify').set('Cookie', jar).set('X-CSRF-Token', csrf).expect(204);
    await t.http.options('/auth/verify').set('Cookie', jar).expect(204);
  });

  it('needs no CSRF token for a bearer token, whatever the original method', async () => {
    const user = await signedInUser(t);
    await t.http
      .get('/auth/verify')
      .set(...bearer(user.accessToken))
      .set('X-Original-Method', 'DELETE')
      .expect(204);
  });

  it('counts as activity for the idle timeout (noted in memory, written in the next batch)', async () => {
    const user = await signedInUser(t);
    const activity = t.app.get(ActivityTracker);
    await activity.flush();
    expect(activity.pendingActivity(user.session.id)).toBeUndefined();
    t.clock.advance(60_000);
    await t.http
      .get('/auth/verify')
      .set(...bearer(user.accessToken))
      .expect(204);
    expect(activity.pendingActivity(user.session.id)?.getTime()).toBe(t.clock.nowMs());
  });

  it('is answered before Nest’s guards (the fast path); the Nest route, for other spellings, answers alike', async () => {
    const user = await signedInUser(t);
    const guard = jest.spyOn(t.app.get(AccessTokenGuard), 'canActivate');
    try {
      const identity = (res: { status: number; headers: Record<string, string> }) => ({
        status: res.status,
        user: res.headers['x-auth-user-id'],
        session: res.headers['x-auth-session-id'],
        roles: res.headers['x-auth-roles'],
        error: res.headers['x-auth-error'],
        type: res.headers['content-type'],
      });
      const fast = await t.http.get('/auth/verify').set(...bearer(user.accessToken));
      const fastRefusal = await t.http
        .get('/auth/verify')
        .set('X-Original-Method', 'POST')
        .set('X-Request-Id', 'verify-refusal');
      expect(guard).not.toHaveBeenCalled();

      const nest = await t.http.get('/auth/verify/').set(...bearer(user.accessToken));
      const nestRefusal = await t.http
        .get('/auth/verify/')
        .set('X-Original-Method', 'POST')
        .set('X-Request-Id', 'verify-refusal');
      expect(guard).toHaveBeenCalledTimes(2);

      expect(identity(fast)).toEqual(identity(nest));
      expect(fast.status).toBe(204);
      expect(fast.headers['x-auth-session-id']).toBe(user.session.id);
      expect(identity(fastRefusal)).toEqual(identity(nestRefusal));
      expect(fastRefusal.status).toBe(401);
      expect(fastRefusal.body).toEqual(nestRefusal.body);
      expect(fastRefusal.body.requestId).toBe('verify-refusal');
    } finally {
      guard.mockRestore();
    }
  });
});
