import { bearer, PASSWORD, signedInUser } from './support/auth-client';
import { ADMIN_SETUP_TIMEOUT_MS, signedInAdmin } from './support/admin-session';
import { createTestApp, type TestApp } from './support/test-app';

describe('OAuth endpoints (RFC 6749 §6, 7009, 7662)', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Reuse detection on an immediate replay: no grace window (the default is 10 s).
    t = await createTestApp({ env: { REFRESH_REUSE_GRACE: '0s' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('refreshes with grant_type=refresh_token, form-encoded, with the same rotation rules', async () => {
    const user = await signedInUser(t);
    const res = await t.http
      .post('/oauth/token')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: user.refreshToken })
      .expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    // The refresh token lives as long as the session's idle deadline (30 min by default).
    expect(res.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 900,
      refresh_token_expires_in: 1800,
    });
    await t.http
      .get('/auth/me')
      .set(...bearer(res.body.access_token))
      .expect(200);

    const replay = await t.http
      .post('/oauth/token')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: user.refreshToken })
      .expect(400);
    expect(replay.body).toMatchObject({ error: 'invalid_grant', code: 'refresh_token_reused' });
    await t.http
      .get('/auth/me')
      .set(...bearer(res.body.access_token))
      .expect(401);
  });

  it('refuses other grant types with unsupported_grant_type (RFC 6749 §5.2)', async () => {
    const user = await signedInUser(t);
    // The password grant with its own fields: the grant is named, not the unknown fields.
    for (const body of [
      { grant_type: 'password', username: user.email, password: PASSWORD },
      { grant_type: 'password', refresh_token: 'x' },
      { grant_type: 'authorization_code', code: 'x' },
    ]) {
      const res = await t.http.post('/oauth/token').type('form').send(body).expect(400);
      expect(res.body).toMatchObject({
        code: 'validation_failed',
        error: 'unsupported_grant_type',
      });
      expect(res.body).not.toHaveProperty('access_token');
    }
    const json = await t.http
      .post('/oauth/token')
      .send({ grant_type: 'password', username: user.email, password: PASSWORD })
      .expect(400);
    expect(json.body.error).toBe('unsupported_grant_type');
    // client_credentials is served, to service clients only: without client authentication
    // it is refused as RFC 6749 §5.2 invalid_client, never granted.
    const anonymous = await t.http
      .post('/oauth/token')
      .type('form')
      .send({ grant_type: 'client_credentials' })
      .expect(401);
    expect(anonymous.body).toMatchObject({ code: 'invalid_client', error: 'invalid_client' });
    expect(anonymous.body).not.toHaveProperty('access_token');
    // A malformed request stays a plain validation error.
    const missing = await t.http.post('/oauth/token').type('form').send({}).expect(400);
    expect(missing.body.code).toBe('validation_failed');
    expect(missing.body.error).toBeUndefined();
  });

  it('revokes by refresh token or access token, and answers 200 for unknown tokens', async () => {
    const a = await signedInUser(t);
    await t.http
      .post('/oauth/revoke')
      .type('form')
      .send({ token: a.refreshToken, token_type_hint: 'refresh_token' })
      .expect(200);
    expect(
      (
        await t.http
          .get('/auth/me')
          .set(...bearer(a.accessToken))
          .expect(401)
      ).body.code,
    ).toBe('session_revoked');

    const b = await signedInUser(t);
    await t.http.post('/oauth/revoke').send({ token: b.accessToken }).expect(200);
    await t.http
      .get('/auth/me')
      .set(...bearer(b.accessToken))
      .expect(401);

    await t.http.post('/oauth/revoke').send({ token: 'not-a-token' }).expect(200);
  });

  it(
    'introspects for admins only',
    async () => {
      const user = await signedInUser(t);
      await t.http.post('/oauth/introspect').send({ token: user.accessToken }).expect(401);
      const denied = await t.http
        .post('/oauth/introspect')
        .set(...bearer(user.accessToken))
        .send({ token: user.accessToken })
        .expect(403);
      expect(denied.body.code).toBe('forbidden');

      const admin = await signedInAdmin(t);
      const active = await t.http
        .post('/oauth/introspect')
        .set(...bearer(admin.accessToken))
        .send({ token: user.accessToken })
        .expect(200);
      expect(active.body).toMatchObject({
        active: true,
        token_type: 'access_token',
        sub: user.user.id,
        sid: user.session.id,
      });
      const refresh = await t.http
        .post('/oauth/introspect')
        .set(...bearer(admin.accessToken))
        .send({ token: user.refreshToken })
        .expect(200);
      expect(refresh.body).toMatchObject({
        active: true,
        token_type: 'refresh_token',
        sid: user.session.id,
      });

      await t.http
        .post('/auth/logout')
        .set(...bearer(user.accessToken))
        .expect(204);
      for (const token of [user.accessToken, user.refreshToken, 'garbage']) {
        const res = await t.http
          .post('/oauth/introspect')
          .set(...bearer(admin.accessToken))
          .send({ token })
          .expect(200);
        expect(res.body).toEqual({ active: false });
      }
    },
    ADMIN_SETUP_TIMEOUT_MS,
  );
});
