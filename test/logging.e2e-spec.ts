import { bearer, PASSWORD, register, uniqueEmail } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

type LogLine = Record<string, unknown>;

/** Structured logs (pino): one access line per request, and no credential in any line. */
describe('logs', () => {
  let t: TestApp;
  const logs: string[] = [];
  const parsed = (): LogLine[] => logs.map((line) => JSON.parse(line) as LogLine);
  const accessLines = (): LogLine[] => parsed().filter((line) => line.msg === 'request completed');

  beforeAll(async () => {
    t = await createTestApp({ logs, env: { LOG_LEVEL: 'debug' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('writes one access line per request: method, route, path without query, status, duration, request id', async () => {
    const user = await register(t);
    const before = logs.length;
    const res = await t.http
      .get('/auth/me')
      .query({ token: 'query-secret-value' })
      .set('X-Request-Id', 'trace-me-1')
      .expect(401);
    expect(res.headers['x-request-id']).toBe('trace-me-1');

    const lines = accessLines().filter((line) => line.requestId === 'trace-me-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      context: 'HTTP',
      method: 'GET',
      route: '/auth/me',
      path: '/auth/me',
      status: 401,
    });
    expect(typeof lines[0].durationMs).toBe('number');
    expect(typeof lines[0].time).toBe('string');
    expect(lines[0]).not.toHaveProperty('req');
    expect(lines[0]).not.toHaveProperty('res');
    expect(logs.slice(before).join('\n')).not.toContain('query-secret-value');
    // Application lines go through the same logger (registration logs the new user's id).
    expect(logs.some((line) => line.includes(user.id))).toBe(true);
  });

  it('writes no access line for the probes and the scrape by default', async () => {
    await t.http.get('/health/live').set('X-Request-Id', 'probe-1').expect(200);
    await t.http.get('/metrics').set('X-Request-Id', 'scrape-1').expect(200);
    await t.http.get('/auth/me').set('X-Request-Id', 'after-probe-1').expect(401);
    const ids = accessLines().map((line) => line.requestId);
    expect(ids).toContain('after-probe-1');
    expect(ids).not.toContain('probe-1');
    expect(ids).not.toContain('scrape-1');
  });

  it('never writes a password, a token, an Authorization header or a cookie', async () => {
    const email = uniqueEmail();
    await register(t, email);
    const header = await t.http.post('/auth/login').send({ email, password: PASSWORD }).expect(200);
    const { accessToken, refreshToken } = header.body as {
      accessToken: string;
      refreshToken: string;
    };
    await t.http
      .get('/auth/me')
      .set(...bearer(accessToken))
      .expect(200);
    const refreshed = await t.http.post('/auth/refresh').send({ refreshToken }).expect(200);

    const browser = await t.http
      .post('/auth/login')
      .set('X-Auth-Mode', 'cookie')
      .send({ email, password: PASSWORD })
      .expect(200);
    const cookies = ([] as string[]).concat(browser.headers['set-cookie'] ?? []);
    const cookieValues = cookies.map((c) => c.split(';')[0].split('=').slice(1).join('='));
    const csrf = browser.body.csrfToken as string;
    await t.http
      .get('/sessions')
      .set('Cookie', cookies.map((c) => c.split(';')[0]).join('; '))
      .expect(200);
    await t.flushEvents();

    const secrets = [
      PASSWORD,
      accessToken,
      refreshToken,
      refreshed.body.refreshToken as string,
      `Bearer ${accessToken}`,
      csrf,
      ...cookieValues,
    ];
    expect(cookieValues.length).toBeGreaterThan(0);
    expect(secrets.every((secret) => typeof secret === 'string' && secret.length >= 16)).toBe(true);
    const logged = logs.join('\n');
    // The requests above were logged, so the search below looks at lines that exist.
    expect(accessLines().filter((line) => line.route === '/auth/login').length).toBeGreaterThan(1);
    for (const secret of secrets) {
      expect({ secret, found: logged.includes(secret) }).toEqual({ secret, found: false });
    }
  });
});
