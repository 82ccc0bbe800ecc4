import { login, PASSWORD, register, uniqueEmail } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

describe('cookie mode CSRF', () => {
  let t: TestApp;
  let jar: string;
  let csrf: string;

  beforeAll(async () => {
    t = await createTestApp();
    const email = uniqueEmail();
    await register(t, email);
    const res = await t.http
      .post('/auth/login')
      .set('X-Auth-Mode', 'cookie')
      .send({ email, password: PASSWORD })
      .expect(200);
    jar = (res.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
    csrf = res.body.csrfToken as string;
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses an unsafe cookie-authenticated request without X-CSRF-Token', async () => {
    const res = await t.http.delete('/sessions').set('Cookie', jar).expect(403);
    expect(res.body.code).toBe('csrf_failed');
  });

  it('refuses a wrong X-CSRF-Token, including another session’s token', async () => {
    const wrong = await t.http
      .delete('/sessions')
      .set('Cookie', jar)
      .set('X-CSRF-Token', 'x'.repeat(43))
      .expect(403);
    expect(wrong.body.code).toBe('csrf_failed');
    const email = uniqueEmail();
    await register(t, email);
    const other = await t.http
      .post('/auth/login')
      .set('X-Auth-Mode', 'cookie')
      .send({ email, password: PASSWORD })
      .expect(200);
    await t.http
      .delete('/sessions')
      .set('Cookie', jar)
      .set('X-CSRF-Token', other.body.csrfToken)
      .expect(403);
  });

  it('accepts the right token, and needs none for safe methods', async () => {
    await t.http.get('/sessions').set('Cookie', jar).expect(200);
    await t.http.delete('/sessions').set('Cookie', jar).set('X-CSRF-Token', csrf).expect(204);
  });

  it('guards the cookie refresh with the same token, without spending the refresh token', async () => {
    await t.http.post('/auth/refresh').set('Cookie', jar).send({}).expect(403);
    await t.http
      .post('/auth/refresh')
      .set('Cookie', jar)
      .set('X-CSRF-Token', 'nope')
      .send({})
      .expect(403);
    await t.http
      .post('/auth/refresh')
      .set('Cookie', jar)
      .set('X-CSRF-Token', csrf)
      .send({})
      .expect(200);
  });

  it('an expired access cookie answers token_expired, as the bearer token does', async () => {
    const email = uniqueEmail();
    await register(t, email);
    const res = await t.http
      .post('/auth/login')
      .set('X-Auth-Mode', 'cookie')
      .send({ email, password: PASSWORD })
      .expect(200);
    const setCookies = res.headers['set-cookie'] as unknown as string[];
    const cookieJar = setCookies.map((c) => c.split(';')[0]).join('; ');
    const expiresOf = (name: string): number =>
      Date.parse(/Expires=([^;]+)/.exec(setCookies.find((c) => c.includes(name)) ?? '')?.[1] ?? '');
    // The browser keeps the access cookie past the token's exp, so the server can say why.
    expect(expiresOf('tessera_at=')).toBeGreaterThanOrEqual(expiresOf('tessera_rt='));
    t.clock.advance(16 * 60_000);
    const expired = await t.http.get('/auth/me').set('Cookie', cookieJar).expect(401);
    expect(expired.body.code).toBe('token_expired');
    // A browser that already dropped the access cookie but holds the refresh cookie.
    const refreshOnly = cookieJar
      .split('; ')
      .filter((c) => !c.includes('tessera_at='))
      .join('; ');
    const dropped = await t.http.get('/auth/me').set('Cookie', refreshOnly).expect(401);
    expect(dropped.body.code).toBe('token_expired');
    // No cookies at all: not signed in.
    const none = await t.http.get('/auth/me').expect(401);
    expect(none.body.code).toBe('unauthenticated');
  });

  it('bearer requests need no CSRF token', async () => {
    const email = uniqueEmail();
    await register(t, email);
    const tokens = await login(t, email);
    await t.http
      .delete('/sessions')
      .set('Authorization', `Bearer ${tokens.accessToken}`)
      .expect(204);
  });
});
