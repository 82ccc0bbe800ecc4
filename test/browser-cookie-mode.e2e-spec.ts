import { cookieLogin, login, PASSWORD, register, uniqueEmail } from './support/auth-client';
import { CookieJar } from './support/cookie-jar';
import { createTestApp, type TestApp } from './support/test-app';

const ACCESS = '__Host-tessera_at';
const REFRESH = '__Host-tessera_rt';
const DEVICE = '__Host-tessera_did';

/** Contract v2, "Two transports": what a browser frontend relies on. */
describe('cookie mode for browsers (contract v2)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  async function sessionOf(jar: CookieJar): Promise<{ id: string; device: { id: string } }> {
    const res = await t.http.get('/auth/me').set('Cookie', jar.header()).expect(200);
    return res.body.session as { id: string; device: { id: string } };
  }

  it('logout clears the token cookies, keeps the device cookie and sends no Clear-Site-Data', async () => {
    const email = uniqueEmail('browser');
    const user = await register(t, email);
    // An app signed in first, so the browser's first sign-in is a new device (one alert).
    await login(t, email, { device: { id: 'phone-app-0001', name: 'Phone' } });
    const jar = new CookieJar();
    const { csrfToken } = await cookieLogin(t, email, jar);
    const first = await sessionOf(jar);
    const deviceCookie = jar.get(DEVICE);
    expect(deviceCookie).toBeDefined();

    const out = await t.http
      .post('/auth/logout')
      .set('Cookie', jar.header())
      .set('X-CSRF-Token', csrfToken)
      .expect(204);
    expect(out.headers['clear-site-data']).toBeUndefined();
    const setCookies = out.headers['set-cookie'] as unknown as string[];
    for (const [name, sameSite] of [
      [ACCESS, 'Lax'],
      [REFRESH, 'Strict'],
    ]) {
      const cleared = setCookies.find((c) => c.startsWith(`${name}=;`));
      expect(cleared).toMatch(/Max-Age=0/);
      expect(cleared).toMatch(/Path=\//);
      expect(cleared).toMatch(/HttpOnly/);
      expect(cleared).toMatch(/Secure/);
      expect(cleared).toMatch(new RegExp(`SameSite=${sameSite}`));
    }
    expect(setCookies.some((c) => c.startsWith(`${DEVICE}=`))).toBe(false);
    jar.apply(out);
    expect(jar.has(ACCESS)).toBe(false);
    expect(jar.has(REFRESH)).toBe(false);
    expect(jar.get(DEVICE)).toBe(deviceCookie);

    // The same browser signs in again: same device, no new device cookie, no new-device alert.
    const again = await t.http
      .post('/auth/login')
      .set('X-Auth-Mode', 'cookie')
      .set('Cookie', jar.header())
      .send({ email, password: PASSWORD })
      .expect(200);
    const againCookies = again.headers['set-cookie'] as unknown as string[];
    expect(againCookies.some((c) => c.startsWith(`${DEVICE}=`))).toBe(false);
    jar.apply(again);
    const second = await sessionOf(jar);
    expect(second.id).not.toBe(first.id);
    expect(second.device.id).toBe(first.device.id);

    await t.flushEvents();
    await t.flushEvents();
    const [{ count }] = await t.dataSource.query<Array<{ count: number }>>(
      `SELECT count(*)::int AS count FROM outbox_events
        WHERE type = 'device.new' AND payload->>'userId' = $1`,
      [user.id],
    );
    expect(count).toBe(2); // the phone and the browser, not the browser a second time
    const alerts = await t.http.get('/me/alerts').set('Cookie', jar.header()).expect(200);
    const newDevice = (alerts.body.items as Array<{ rule: string }>).filter(
      (alert) => alert.rule === 'device.new_sign_in',
    );
    expect(newDevice).toHaveLength(1);
  });

  it('a reloaded page gets its csrfToken back from GET /auth/me and GET /auth/csrf', async () => {
    const email = uniqueEmail('reload');
    await register(t, email);
    const jar = new CookieJar();
    const { csrfToken: original } = await cookieLogin(t, email, jar);

    // The page reloads: the csrfToken from login is gone, the cookies are not.
    const me = await t.http.get('/auth/me').set('Cookie', jar.header()).expect(200);
    const fromMe = me.body.csrfToken as string;
    expect(fromMe).toBe(original);
    expect(me.headers['cache-control']).toBe('no-store');
    const csrf = await t.http.get('/auth/csrf').set('Cookie', jar.header()).expect(200);
    expect(csrf.body).toEqual({ csrfToken: original });

    const refreshed = await t.http
      .post('/auth/refresh')
      .set('Cookie', jar.header())
      .set('X-CSRF-Token', fromMe)
      .send({})
      .expect(200);
    jar.apply(refreshed);
    // Stable for the session: the rotated cookies still pair with the same token.
    const afterRefresh = await t.http.get('/auth/csrf').set('Cookie', jar.header()).expect(200);
    expect(afterRefresh.body.csrfToken).toBe(fromMe);
    await t.http
      .post('/auth/logout')
      .set('Cookie', jar.header())
      .set('X-CSRF-Token', fromMe)
      .expect(204);
  });

  it('header mode: /auth/me carries no csrfToken and /auth/csrf answers null', async () => {
    const email = uniqueEmail('bearer');
    await register(t, email);
    const tokens = await login(t, email);
    const auth: [string, string] = ['Authorization', `Bearer ${tokens.accessToken}`];
    const me = await t.http
      .get('/auth/me')
      .set(...auth)
      .expect(200);
    expect(me.body).not.toHaveProperty('csrfToken');
    const csrf = await t.http
      .get('/auth/csrf')
      .set(...auth)
      .expect(200);
    expect(csrf.body).toEqual({ csrfToken: null });
    const anonymous = await t.http.get('/auth/csrf').expect(401);
    expect(anonymous.body.code).toBe('unauthenticated');
  });

  it('two tabs refreshing together with the same cookie both succeed with the same successor (default grace)', async () => {
    expect(t.config.refreshReuseGraceMs).toBe(10_000);
    const email = uniqueEmail('tabs');
    await register(t, email);
    const jar = new CookieJar();
    const { csrfToken } = await cookieLogin(t, email, jar);
    const refreshOnce = () =>
      t.http
        .post('/auth/refresh')
        .set('Cookie', jar.header())
        .set('X-CSRF-Token', csrfToken)
        .send({});
    const [a, b] = await Promise.all([refreshOnce(), refreshOnce()]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const successorOf = (res: typeof a): string | undefined =>
      new CookieJar().apply(res).get(REFRESH);
    expect(successorOf(a)).toBeDefined();
    expect(successorOf(a)).toBe(successorOf(b));
    expect(successorOf(a)).not.toBe(jar.get(REFRESH));
    // And the successor works for either tab.
    jar.apply(a);
    await t.http
      .post('/auth/refresh')
      .set('Cookie', jar.header())
      .set('X-CSRF-Token', csrfToken)
      .send({})
      .expect(200);
  });

  it('an expired access cookie answers 401 token_expired, and the refresh cookie recovers', async () => {
    const email = uniqueEmail('expired');
    await register(t, email);
    const jar = new CookieJar();
    const { csrfToken } = await cookieLogin(t, email, jar);
    t.clock.advance(t.config.accessTokenTtlMs + 60_000);
    const expired = await t.http.get('/auth/me').set('Cookie', jar.header()).expect(401);
    expect(expired.body.code).toBe('token_expired');
    const refreshed = await t.http
      .post('/auth/refresh')
      .set('Cookie', jar.header())
      .set('X-CSRF-Token', csrfToken)
      .send({})
      .expect(200);
    jar.apply(refreshed);
    await t.http.get('/auth/me').set('Cookie', jar.header()).expect(200);
  });

  it('a page reloaded after its access token expired gets the csrfToken with the refresh cookie', async () => {
    const email = uniqueEmail('reload-expired');
    await register(t, email);
    const jar = new CookieJar();
    const { csrfToken: fromLogin } = await cookieLogin(t, email, jar);
    t.clock.advance(t.config.accessTokenTtlMs + 60_000);
    // The page lost its csrfToken (reload) and its access token expired meanwhile.
    const recovered = await t.http.get('/auth/csrf').set('Cookie', jar.header()).expect(200);
    expect(recovered.body).toEqual({ csrfToken: fromLogin });
    const refreshed = await t.http
      .post('/auth/refresh')
      .set('Cookie', jar.header())
      .set('X-CSRF-Token', recovered.body.csrfToken as string)
      .send({})
      .expect(200);
    jar.apply(refreshed);
    await t.http.get('/auth/me').set('Cookie', jar.header()).expect(200);

    // Signed out: the refresh cookie no longer opens anything.
    await t.http
      .post('/auth/logout')
      .set('Cookie', jar.header())
      .set('X-CSRF-Token', fromLogin)
      .expect(204);
    const staleJar = new CookieJar().apply(refreshed); // the cookies from before the logout
    const refused = await t.http.get('/auth/csrf').set('Cookie', staleJar.header()).expect(401);
    expect(refused.body.code).toBe('unauthenticated');
    await t.http.get('/auth/csrf').expect(401);
  });
});
